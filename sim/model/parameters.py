"""Every model parameter, declared as data with its unit, valid range and provenance.

A parameter's default must trace to evidence extracted from the source documents
(``seeds/evidence.yaml``), to a published estimate (``seeds/literature.yaml``), or be
marked as an assumption with the reason.  ``tests/test_parameters.py`` fails if any
default lacks this.  Scenario files override parameters by dotted name; the
``initial.*`` parameters are the starting state of the world.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Param:
    """One parameter: default, unit, valid range and where the number comes from."""

    name: str
    default: float
    unit: str
    lo: float
    hi: float
    doc: str
    cites: tuple[str, ...] = ()
    assumption: str = ""
    integer: bool = False
    sweep: tuple[float, float] | None = None
    fitted: bool = True
    """Whether history matching fits it (``tradewar calibrate``) when it is assumption-only;
    False for a dial that sets a modelling stance the mechanisms should not lean on (it
    stays in the sensitivity study; ``--factor`` can put it in a calibration's box)."""

    @property
    def provenance(self) -> str:
        """Evidence ids and published estimates, then the assumption if any."""
        parts = list(self.cites)
        if self.assumption:
            parts.append(f"assumption: {self.assumption}")
        return "; ".join(parts)


def _p(name: str, default: float, unit: str, lo: float, hi: float, doc: str, *cites: str,
       assume: str = "", integer: bool = False,
       sweep: tuple[float, float] | None = None, fitted: bool = True) -> Param:
    return Param(name, default, unit, lo, hi, doc, tuple(cites), assume, integer, sweep,
                 fitted)


# Counted public commitment events in the documents, one unit of face each.  Counting rule:
# a statement by the government, a ministry or the leader (not an analyst) that commits the
# side to a hard line or against backing down, or publicly denies talks (lit-fearon1994).
CN_COMMITMENT_EVENTS = (
    "cn-fight-to-end", "cn-xi-unafraid", "cn-mao-clip", "cn-deny-talks-mofcom-apr24",
    "cn-deny-talks-fm-apr24", "cn-deny-talks-fm-apr25", "cn-deny-talks-fm-apr28",
    "cn-deny-call-apr28", "cn-drinking-poison", "cn-demand-lift-all", "cn-wont-flinch",
    "cn-fight-if-must",
)
US_COMMITMENT_EVENTS = (
    "us-doubled-down-on-china", "us-answers-every-retaliation", "us-ball-in-china-court",
    "us-no-unilateral-offer", "us-not-zero",
)

PARAMS: tuple[Param, ...] = (
    # --- starting state (April 2025 peak) -------------------------------------------
    _p("initial.us_fentanyl", 20, "pp", 0, 300, "US tariff layer tied to fentanyl",
       "us-tariff-fentanyl-20"),
    _p("initial.us_reciprocal", 125, "pp", 0, 300, "US 'reciprocal' tariff layer on China",
       "us-tariff-reciprocal-125", "us-tariff-total-145"),
    _p("initial.us_base", 20.8, "pp", 0, 100,
       "pre-2025 average US tariff on Chinese goods (trade-weighted); the 2024 flows already "
       "reflect it, so only tariffs above it cost pain", "lit-bown-piie"),
    _p("initial.cn_retaliatory", 125, "pp", 0, 300, "China's retaliatory layer on all US goods",
       "cn-tariff-retaliatory-125"),
    _p("initial.cn_base", 21.1, "pp", 0, 100,
       "pre-2025 average Chinese tariff on US goods (trade-weighted); the 2024 flows already "
       "reflect it, so only tariffs above it cost pain", "lit-bown-piie"),
    _p("initial.cn_exempt_share", 0.2, "share", 0, 1,
       "share of US goods quietly exempted from China's retaliatory layer",
       "cn-exemptions-quiet",
       assume="the documents name the exempt goods (some drugs, chips, jet engines) but not "
              "their trade share; a fifth is our reading of 'select' items; swept"),
    _p("initial.us_exempt_share", 0.0, "share", 0, 1,
       "share of Chinese goods exempted from the US reciprocal layer", "us-tariff-total-145",
       assume="the documents report the full 145% with no US carve-outs; exemptions "
              "granted outside them (e.g. for electronics) can be set here"),
    _p("initial.cn_rare_earth", 1, "flag", 0, 1, "China's rare-earth export controls in force",
       "cn-rare-earth-controls", integer=True),
    _p("initial.cn_films", 1, "flag", 0, 1, "China's curbs on Hollywood films in force",
       "cn-film-curbs", integer=True),
    _p("initial.cn_farm_diversion", 0, "flag", 0, 1,
       "China buying soybeans elsewhere (Brazil) instead of the US", "cn-soy-diversion",
       assume="the diversion is reported in September (doc 002), not at the April peak",
       integer=True),
    _p("initial.cn_yuan", 0, "flag", 0, 1, "China letting the yuan weaken", "cn-yuan-option",
       integer=True),
    _p("initial.cn_treasuries", 0, "flag", 0, 1,
       "China stoking talk of selling US Treasuries", "cn-treasuries-option", integer=True),
    _p("initial.us_export_controls", 1, "flag", 0, 1, "US technology export controls in force",
       "us-export-controls", integer=True),
    _p("initial.us_transshipment", 0, "flag", 0, 1,
       "US deals with third countries that block transshipment", "us-transshipment-clauses",
       assume="the clauses are reported in September (doc 002), not in April", integer=True),
    _p("initial.channel", 1, "level", 0, 4,
       "channel level: 0 none, 1 working-level/back-channel, 2 deputy, 3 ministerial, 4 leader",
       "cn-working-level-comm", "cn-untitled-envoys", integer=True),
    _p("initial.us_acknowledges", 1, "flag", 0, 1, "US publicly says talks are happening",
       "us-claims-talks", "us-claims-xi-call", integer=True),
    _p("initial.cn_acknowledges", 0, "flag", 0, 1, "China publicly admits talks",
       "cn-deny-talks-mofcom-apr24", "cn-deny-talks-fm-apr28", integer=True),
    _p("initial.us_face", len(US_COMMITMENT_EVENTS), "commitments", 0, 100,
       "US face stock: public commitments against backing down, one unit per event",
       *US_COMMITMENT_EVENTS),
    _p("initial.cn_face", len(CN_COMMITMENT_EVENTS), "commitments", 0, 100,
       "China's face stock: public vows and denials, one unit per event",
       *CN_COMMITMENT_EVENTS),
    _p("initial.talks_weeks", 0, "weeks", 0, 520,
       "weeks of official talks (deputy level or above) already held towards a lasting "
       "agreement", "cn-deny-talks-fm-apr28", "cn-negotiation-definition",
       "us-waiting-for-call", integer=True),
    _p("initial.weeks_since_shock", 0, "weeks", 0, 520,
       "weeks since the tariffs reached this level (drives trade adjustment)",
       "us-tariff-total-145", integer=True),
    # --- trade and economy ---------------------------------------------------------
    _p("trade.us_imports_from_cn", 439, "$B/yr", 1, 2000, "US goods imports from China, 2024",
       "lit-census-2024-trade", "trade-at-stake-690"),
    _p("trade.us_exports_to_cn", 143, "$B/yr", 1, 2000, "US goods exports to China, 2024",
       "lit-census-2024-trade", "trade-at-stake-690"),
    _p("trade.us_soy_exports_to_cn", 12.8, "$B/yr", 0, 100,
       "US soybean exports to China, 2024 (at risk from diversion)", "lit-usda-soy-2024",
       "cn-soy-diversion"),
    _p("trade.elasticity_short", 0.75, "1", 0.05, 5,
       "import-demand elasticity one year (52 weeks) after the shock; the lower impact "
       "value follows from it by partial adjustment",
       "lit-boehm2023", "lit-model-brief", sweep=(0.5, 1.0)),
    _p("trade.elasticity_long", 2.0, "1", 0.05, 8, "long-run import-demand elasticity",
       "lit-boehm2023", "lit-simonovska-waugh2014", sweep=(1.5, 4.0)),
    _p("trade.adjustment_weeks", 139, "weeks", 1, 2000,
       "time constant of partial adjustment toward the long-run elasticity, anchored at "
       "the one-year value at week 52 (95% of that gap closed ~8 years later)",
       "lit-boehm2023"),
    _p("trade.pass_through", 1.0, "share", 0, 1, "tariff pass-through to importer prices",
       "lit-amiti2019", "lit-fajgelbaum2020", "lit-cavallo2021"),
    _p("trade.cn_rerouted_share", 0.165, "share", 0, 0.9,
       "share of China's lost US sales recovered by rerouting via third countries",
       "lit-model-brief", "us-transshipment-clauses",
       assume="midpoint of the brief's 0-0.33 range; US exporters are given none",
       sweep=(0.0, 0.33)),
    _p("trade.transshipment_effect", 0.5, "share", 0, 1,
       "share of rerouting that US anti-transshipment clauses shut off",
       "us-transshipment-clauses",
       assume="the documents report the clauses, not their bite; half is a neutral prior"),
    _p("trade.cn_value_added_share", 0.83, "share", 0, 1,
       "domestic value added per dollar of Chinese exports", "lit-oecd-tiva"),
    _p("trade.us_value_added_share", 0.90, "share", 0, 1,
       "domestic value added per dollar of US exports", "lit-oecd-tiva"),
    _p("economy.us_gdp", 29200, "$B", 1000, 100000, "US GDP, 2024", "lit-bea-gdp-2024"),
    _p("economy.cn_gdp", 18700, "$B", 1000, 100000, "China GDP, 2024", "lit-nbs-gdp-2024"),
    _p("economy.cn_jobs_in_us_exports", 16, "million jobs", 0, 100,
       "jobs in China tied to US-bound exports", "lit-goldman-jobs", "cn-jobs-nomura"),
    _p("cn.stimulus_capacity", 1.0, "%GDP/yr", 0, 10,
       "extra fiscal room China set for 2025 (deficit target 3% -> 4% of GDP)",
       "lit-npc-2025-deficit", "cn-stimulus-meeting", sweep=(0.0, 3.0)),
    _p("cn.stimulus_offset_share", 0.3, "share", 0, 1,
       "share of that room that offsets tariff losses", "cn-stimulus-meeting",
       "cn-domestic-weakness",
       assume="most of the 2025 fiscal room was set before April for the property slump and "
              "weak consumption; we let 30% buffer the trade shock", sweep=(0.0, 1.0)),
    _p("us.harvest_salience", 2.0, "x", 1, 10,
       "weight on farm losses in US decisions during harvest weeks (ISO weeks 36-47)",
       "us-farmers-harvest", "us-midterms",
       assume="farm pain counts double while the crop is being sold; swept"),
    # --- non-tariff measures: annual cost to the target and to the user (% of GDP) -----
    _p("ntm.rare_earth.target_pain", 0.05, "%GDP/yr", 0, 2,
       "US cost of China's rare-earth controls", "cn-rare-earth-controls",
       assume="rare-earth imports are small but feed defence and manufacturing; set to about "
              "a tenth of the US tariff loss at the peak"),
    _p("ntm.rare_earth.own_cost", 0.01, "%GDP/yr", 0, 2, "China's cost of its rare-earth curbs",
       "cn-rare-earth-controls", assume="lost export sales of a small sector"),
    _p("ntm.films.target_pain", 0.003, "%GDP/yr", 0, 2, "US cost of China's film curbs",
       "cn-film-curbs",
       assume="US films' China box office is of the order of $1B/yr, 0.003% of US GDP"),
    _p("ntm.films.own_cost", 0.0, "%GDP/yr", 0, 2, "China's cost of its film curbs",
       "cn-film-curbs", assume="domestic films fill the screens"),
    _p("ntm.farm_diversion.own_cost", 0.005, "%GDP/yr", 0, 2,
       "China's cost of buying soybeans from Brazil instead", "cn-soy-diversion",
       assume="a small price premium on ~$13B of purchases"),
    _p("ntm.yuan.target_pain", 0.05, "%GDP/yr", 0, 2, "US cost of a weaker yuan",
       "cn-yuan-option", assume="partly offsets the tariff; order of the rare-earth cost"),
    _p("ntm.yuan.own_cost", 0.05, "%GDP/yr", 0, 2,
       "China's cost of letting the yuan weaken (capital flight risk)", "cn-yuan-option",
       assume="symmetric with the US cost"),
    _p("ntm.treasuries.target_pain", 0.1, "%GDP/yr", 0, 2,
       "US cost of China stoking Treasury sales (higher yields, market stress)",
       "cn-treasuries-option", "pain-thresholds-wrigley",
       assume="markets are the US pain point; twice the yuan cost"),
    _p("ntm.treasuries.own_cost", 0.05, "%GDP/yr", 0, 2,
       "China's cost of threatening its own reserve assets", "cn-treasuries-option",
       assume="capital losses on held Treasuries"),
    _p("ntm.export_controls.target_pain", 0.1, "%GDP/yr", 0, 2,
       "China's cost of US technology export controls", "us-export-controls",
       "cn-talk-dont-yield",
       assume="China asks for them to be eased in every round, so they bite; order of a "
              "tenth of its tariff loss"),
    _p("ntm.export_controls.own_cost", 0.01, "%GDP/yr", 0, 2,
       "US cost of its export controls (lost chip sales)", "us-export-controls",
       assume="lost sales of a few firms"),
    # --- face (audience costs) ----------------------------------------------------------
    _p("face.decay", 0.98, "per week", 0.5, 1, "weekly retention of the face stock",
       "lit-model-brief", "lit-fearon1994", sweep=(0.97, 0.99)),
    _p("face.backdown_weeks", 39, "weeks of pain", 0, 520,
       "cost of a full public back-down at the peak commitment, in weeks of that side's "
       "starting pain (6-12 months; midpoint)", "lit-model-brief", "lit-fearon1994",
       sweep=(26, 52)),
    _p("face.multiplier_public", 1.0, "x", 0, 5, "face multiplier: public unilateral concession",
       "lit-fearon1994", "lit-tomz2007"),
    _p("face.multiplier_matched", 0.4, "x", 0, 5,
       "face multiplier: matched, simultaneous concession", "lit-model-brief",
       "lit-bagwell-staiger1999", "lit-osgood1962", "us-mutual-deescalation", sweep=(0.3, 0.5)),
    _p("face.multiplier_private", 0.2, "x", 0, 5, "face multiplier: private concession",
       "lit-model-brief", "lit-kurizaki2007", "cn-exemptions-quiet", sweep=(0.1, 0.3)),
    _p("face.leak_probability", 0.035, "per week", 0, 1,
       "chance per week that a private concession leaks and costs in full",
       "lit-model-brief", "lit-yarhi-milo2013", sweep=(0.02, 0.05)),
    _p("face.acknowledge_size", 0.1, "back-downs", 0, 1,
       "admitting talks after denying them, as a share of a full back-down",
       "cn-legitimacy-risk", "cn-deny-talks-fm-apr28",
       assume="analysts say admitting talks invites the question of what was gained; "
              "a tenth of a full back-down"),
    _p("face.escalation_commitment", 1.0, "commitments", 0, 10,
       "face units a public escalation or denial adds", "lit-fearon1994",
       assume="one event, one unit, as for the documents' statements"),
    _p("face.answer_commitment", 1, "flag", 0, 1,
       "1: leaving the rival's escalation unanswered breaks the side's public commitment to "
       "answer it and costs face (WeekContext.unanswered_cost); 0: switched off (an "
       "ablation of the commitment alone: the rival still reckons with the answer)",
       "us-answers-every-retaliation", "cn-fight-to-end", "lit-fearon1994", integer=True),
    _p("face.cover_from_rival", 1.0, "x", 0, 5,
       "share of own commitment relieved per unit of rival concession (face-saving cover)",
       "cn-needs-positive-signal", "cn-demand-lift-all", "lit-weiss2014",
       assume="a rival concession of a given size answers that share of the demands made"),
    _p("face.leader_jump_size", 0.2, "back-downs", 0, 1,
       "face cost to China per channel level skipped when a leader call comes before "
       "groundwork", "cn-equal-basis", "us-leader-preference", "cn-no-need-to-talk-first",
       assume="answering the call on US terms looks like being summoned; a fifth of a "
              "back-down per level skipped"),
    # --- decision -----------------------------------------------------------------------
    _p("decision.rationality", 3.0, "1/week of pain", 0, 50,
       "logit quantal-response precision lambda on utilities in weeks of own starting pain",
       "lit-mckelvey-palfrey1995", "lit-signorino1999", "lit-model-brief",
       assume="inside the brief's 0.5-5 range: a one-week utility gap gives 20:1 odds",
       sweep=(0.5, 5.0)),
    _p("decision.action_cost", 0.0, "weeks of pain", 0, 52,
       "political cost of any move other than holding (a status-quo bias dial)",
       "lit-samuelson-zeckhauser1988",
       assume="off: Model 2 prices each move's own costs (face, commitments, leaks); the "
              "dial adds a constant bias for analysts who want one. Not fitted: fitted, it "
              "decided a third or more of the choices made at the margin and most "
              "stalemates at best response (docs/calibration.md, 'The status-quo bias')",
       fitted=False),
    _p("decision.best_response", 0, "flag", 0, 1,
       "1: every choice is the best response (lambda -> infinity)",
       "lit-mckelvey-palfrey1995", integer=True),
    _p("decision.outlast", 0, "flag", 0, 1,
       "1: a side values holding out only against rival types that would give in before "
       "it would itself (the war of attrition's weaker side concedes at once); 0: against "
       "any rival type that gives in within the horizon",
       "lit-abreu-gul2000", "lit-fudenberg-tirole1986", integer=True,
       assume="off by default: the documents do not decide between the two rules (the "
              "calibrated set keeps both). On, deals by week 26 rise (76% -> 87%) and the "
              "coercion cases agree with theory, while two other cases stop moving "
              "(docs/ablations.md, 'The holding-out rule')"),
    _p("decision.obstinacy_prior", 0.0, "prob", 0, 0.5,
       "above 0: each side learns how its rival reasons, starting from this chance that "
       "the rival is obstinate (holds out past every forecast of when it gives in) and the "
       "hierarchy's weights on its levels for the rest; a level at which the rival would "
       "have given in, while it held out, loses weight, so holding out builds a "
       "reputation. 0: the hierarchy's weights stay fixed, as in the model (a switch for "
       "studying where delay comes from, like decision.known_types)",
       "lit-abreu-gul2000", "lit-camerer-ho-chong2004"),
    _p("decision.expects_answers", 1, "flag", 0, 1,
       "1: a side values an escalation with the pain of the rival's announced answer to it "
       "(deterrence); 0: it leaves the answer out (an ablation of deterrence alone: the "
       "rival still pays face for leaving an escalation unanswered)",
       "us-answers-every-retaliation", "cn-fight-to-end", "lit-schelling1960",
       integer=True),
    _p("decision.known_types", 0, "flag", 0, 1,
       "1: each side knows the rival's resolve type from the start (complete information, "
       "an ablation of private types and learning)", "lit-fearon1995",
       "lit-fudenberg-tirole1986", integer=True),
    _p("decision.reasoning_level", 2, "levels", 1, 6,
       "steps of thinking behind a side's forecast of when the rival gives in: a side at "
       "level L takes the rival to reason at the lower levels, in the cognitive "
       "hierarchy's proportions; a rival at level 0 weighs giving in against the status "
       "quo alone, one at level l also against its own hopes from holding out, forecast "
       "at level l (1: the rival is taken never to count on one's own giving in)",
       "lit-camerer-ho-chong2004", "lit-stahl-wilson1995", integer=True,
       assume="two steps: the lowest level at which a side's forecast allows that the "
              "rival, too, is waiting for it to give in; experiments put most people at "
              "one or two steps"),
    _p("decision.hierarchy_tau", 1.5, "steps", 0.05, 5,
       "mean steps of thinking in the cognitive hierarchy (Poisson): sets how a side "
       "weighs the rival's lower levels", "lit-camerer-ho-chong2004"),
    _p("decision.tremble", 0.02, "prob", 0, 0.5,
       "chance an observer allows that the rival's move was a mistake (belief updating)",
       "lit-signorino1999",
       assume="keeps beliefs from collapsing on one surprising move; small"),
    _p("decision.horizon_weeks", 26, "weeks", 1, 260,
       "weeks over which a move's consequences are weighed",
       "us-pause-others-90d", assume="two 90-day pause cycles"),
    _p("decision.relative_loss_weight", 0.0, "x", 0, 5,
       "intrinsic weight on own pain minus rival pain (a relative-gains preference)",
       "who-loses-more", "zhang-rival-loss-acceptable", "lit-grieco1988", "lit-powell1991",
       assume="off: the documents' 'who loses more' is the logic of the war of attrition "
              "(the side that suffers less holds out longer), which the attrition and "
              "coercion terms price; an intrinsic weight on the rival's loss would count it "
              "twice (Powell 1991). A dial for analysts; raising it makes escalation more "
              "likely (Grieco 1988)", sweep=(0.0, 1.0)),
    _p("decision.us_revenue_weight", 1.0, "x", 0, 2,
       "value the US government puts on a dollar of tariff revenue and leverage",
       "us-status-quo-ok", "us-not-zero"),
    _p("decision.cn_revenue_weight", 0.5, "x", 0, 2,
       "value China's government puts on a dollar of tariff revenue",
       "cn-no-further-matching",
       assume="China calls more tariffs meaningless, so it values revenue less than the US"),
    _p("decision.resolve_sigma", 0.3, "log-sd", 0, 2,
       "spread of private resolve (multiplies face costs), drawn per run",
       "lit-fudenberg-tirole1986", "lit-ponsati-sakovics1995",
       assume="resolve within about +/-35% of the mean for two thirds of runs"),
    _p("ratification.noise", 4.0, "weeks of pain", 0, 100,
       "spread of each constituency's reaction to a deal, beyond its own gain",
       "lit-putnam1988", "cn-legitimacy-risk",
       assume="a month of pain: what a group makes of a deal is uncertain to its government "
              "(involuntary defection)"),
    _p("ratification.persistent", 1, "flag", 0, 1,
       "1: each side's domestic resistance to a deal is drawn once per run, so a deal that "
       "fails at home fails again until its support grows, and the failure shows both "
       "sides what passes (Bayes on the resistance); 0: a fresh draw each week, so a "
       "failure only delays",
       "lit-putnam1988", "lit-milner-rosendorff1997", integer=True,
       assume="on: the win-set is a standing property of a side's politics, not a weekly "
              "lottery, so a deal that failed at home does not pass by luck a week later "
              "(Putnam 1988; Milner & Rosendorff 1997); the documents report no deal that "
              "failed at home and do not decide it (docs/calibration.md)"),
    _p("decision.ratification_threshold", 0.5, "weight share", 0, 1,
       "weighted share of constituencies that must prefer a package to no deal",
       "lit-putnam1988", assume="simple weighted majority"),
    # --- pressure at home (constituencies mobilise as losses accumulate) -------------------
    _p("pressure.gain", 1.0, "x per year of losses", 0, 10,
       "rise in the weight on pain per year of peak-level losses felt by mobilised groups",
       "pain-thresholds-wrigley", "us-standoff-unsustainable", "cn-smes-hit",
       "lit-grossman-helpman1995",
       assume="a year of April-level losses doubles the weight a government puts on them; "
              "to be calibrated", sweep=(0.25, 3.0)),
    _p("pressure.retention", 0.99, "per week", 0, 1,
       "weekly retention of a group's mobilisation (it subsides slowly once losses stop)",
       "lit-milner-rosendorff1997", assume="half-life of about 70 weeks"),
    _p("pressure.audience_jump", 0.5, "years of losses", 0, 10,
       "mobilisation of hawks or nationalists after a rival escalation or a leak of talks",
       "cn-mao-clip", "us-answers-every-retaliation", "lit-weiss2014",
       assume="an outrage rallies the hard-liners as much as half a year of losses rallies "
              "the economic groups"),
    # --- channels ---------------------------------------------------------------------------
    _p("channel.back_channel", 1, "flag", 0, 1,
       "private offers and talks through envoys are possible (0: public channels only)",
       "cn-untitled-envoys", "cn-private-outreach-wang", "lit-kurizaki2007", integer=True),
    _p("channel.signal_noise", 1.0, "type units", 0.05, 10,
       "noise of what a week of private talks reveals of the rival's resolve",
       "lit-kurizaki2007", "cn-probe-us-intentions",
       assume="one week reveals little: a signal as noisy as the spread of types"),
    _p("channel.talks_weeks", 4, "weeks", 1, 52,
       "how long private talks stay active after a private offer", "cn-working-level-comm",
       assume="a month of envoy contacts per round", integer=True),
    # --- moves ----------------------------------------------------------------------
    _p("us.escalation_step", 25, "pp", 0, 200, "size of one US tariff hike",
       "us-doubled-down-on-china",
       assume="the documents show hikes answered in kind without sizes; a quarter-point step"),
    _p("us.max_reciprocal", 200, "pp", 0, 1000, "ceiling on the US reciprocal layer",
       "cn-no-further-matching", "us-not-zero",
       assume="beyond this trade is near zero and further hikes are meaningless"),
    _p("us.leader_first", 0.5, "prob", 0, 1,
       "chance a US channel proposal aims straight at a leader call",
       "us-leader-preference", "us-floated-talks-repeatedly",
       assume="Trump floats a call often but his team also works bottom-up"),
    _p("us.reopen_hazard", 0.005, "per week", 0, 1,
       "weekly chance the US reopens a standing deal with new demands",
       "us-inconsistent-demands", "us-everything-on-table",
       assume="Beijing complains of shifting demands; about one deal in four reopened within "
              "a year; China discounts every deal by it", sweep=(0.0, 0.02)),
    _p("moves.tariff_step", 25, "pp", 0, 200, "size of one tariff cut when stepping down",
       "us-mutual-deescalation", assume="the same size as a hike"),
    _p("moves.tool_step", 0.5, "intensity", 0.05, 1,
       "how far one escalation turns a non-tariff tool up (tools are graded 0-1)",
       "cn-rare-earth-controls", "us-export-controls",
       assume="two notches from off to full use"),
    _p("moves.chips", 1, "flag", 0, 1,
       "1: a unilateral cut is priced with the bargaining chips it gives away (the relief "
       "a deal would have traded); 0: switched off (an ablation)",
       "us-no-unilateral-offer", "lit-eaton-engers1992", "lit-schelling1960", integer=True),
    _p("deal.partial_cut_share", 0.5, "share", 0, 1,
       "how far a partial deal cuts a broad layer from its April-peak level",
       "us-multi-step", "us-not-zero", assume="half way: the midpoint of the issue space"),
    _p("moves.exemption_step", 0.1, "share", 0, 1,
       "share of goods added to quiet exemptions by one private step-down",
       "cn-exemptions-quiet", assume="one list of items"),
    _p("us.answers_escalation", 1.0, "prob", 0, 1,
       "how firmly the US is committed to answering a Chinese escalation: the chance China "
       "reckons with, and the share of a commitment's audience cost the US pays for not "
       "answering",
       "us-answers-every-retaliation", "us-doubled-down-on-china"),
    _p("cn.answers_escalation", 1.0, "prob", 0, 1,
       "how firmly China is committed to answering a US escalation with a countermeasure: "
       "the chance the US reckons with, and the share of a commitment's audience cost China "
       "pays for not answering",
       "cn-fight-to-end", "cn-no-further-matching"),
    _p("moves.cn_quiet_exemptions", 1, "flag", 0, 1,
       "1: China can widen exemptions quietly (a private step-down)", "cn-exemptions-quiet",
       integer=True),
    _p("moves.us_quiet_exemptions", 0, "flag", 0, 1,
       "1: the US can widen exemptions quietly, as China did (an ablation)",
       "cn-exemptions-quiet", integer=True,
       assume="off: the documents record quiet exemptions by China only; a US exemption is "
              "a published customs notice, so it is a public step-down"),
    _p("moves.max_exempt_share", 0.6, "share", 0, 1,
       "the most goods quiet exemptions can cover", "cn-exemptions-quiet",
       assume="beyond this the exemption is no longer quiet"),
    # --- deals ------------------------------------------------------------------------
    _p("deal.pause_rate", 10, "pp", 0, 100,
       "reciprocal rate while a pause holds (the rate paused partners faced)",
       "lit-eo14257", "us-pause-others-90d"),
    _p("deal.pause_weeks", 13, "weeks", 1, 104, "length of a tariff pause (90 days)",
       "us-pause-others-90d", integer=True),
    _p("deal.drafting_weeks", 130, "weeks", 0, 520,
       "weeks of official talks a lasting comprehensive agreement takes to negotiate before "
       "it can be signed (2.5 years: the midpoint of Bessent's two to three years); pauses, "
       "partial deals and single items need none", "us-deal-2-3-years", "us-multi-step",
       "wu-ministerial-then-leader", integer=True, sweep=(104, 156)),
    _p("deal.tool_trades", 1, "flag", 0, 1,
       "1: a coercive tool can be traded one by one (China buys US farm goods again as part "
       "of the fentanyl deal); 0: no package trades a tool one by one (tools are lifted "
       "only within the broader packages)", "us-farm-purchase-demand", "cn-soy-diversion",
       "lit-sebenius1983", integer=True),
    _p("deal.us_floor", 10, "pp", 0, 100,
       "US reciprocal layer left after a comprehensive deal (down, but not to zero)",
       "us-not-zero", "lit-eo14257"),
    _p("deal.cn_floor", 10, "pp", 0, 100,
       "China's retaliatory layer left after a comprehensive deal (mirrors the US)",
       "cn-equal-basis", assume="China mirrors the US floor"),
    _p("deal.renege_hazard", 0.002, "per week", 0, 1,
       "weekly chance a standing deal collapses", "us-phase-one-shortfall",
       "lit-bown-phase-one", assume="about one deal in ten collapses within a year"),
    _p("deal.purchase_renege_multiplier", 3.0, "x", 1, 20,
       "renege hazard multiplier for deals built on purchase commitments",
       "lit-bown-phase-one", "us-phase-one-shortfall",
       assume="Phase One purchases fell far short of commitments"),
    _p("deal.precursor_value_weeks", 4.0, "weeks of pain", 0, 100,
       "value to the US of China's precursor crackdown", "cn-fentanyl-linkage",
       assume="the fentanyl layer was imposed for it; a month of pain"),
    _p("deal.precursor_concession_size", 0.05, "back-downs", 0, 1,
       "China's precursor crackdown, as a share of a full back-down",
       "cn-fentanyl-linkage", "wu-fentanyl-first-path",
       assume="Beijing itself tied precursor action to the removal of the 20% layer, so acting "
              "once it is gone reads at home as reciprocity rather than yielding: a third of "
              "the US fentanyl layer's share of a back-down (20 of 145 points). Pivotal for "
              "the fentanyl-first path (at 0.15 China's win-set excludes the swap); swept",
       sweep=(0.02, 0.15)),
    _p("deal.phase_one_face_multiplier", 3.0, "x", 1, 20,
       "extra face cost to China of a purchase-commitment deal", "cn-no-phase-one-repeat",
       assume="seen in Beijing as one-sided and politically costly"),
    _p("deal.channel_option_discount", 0.8, "x", 0, 1,
       "weight per channel level still to climb on the deal that level leads to",
       "us-multi-step", "wu-fentanyl-first-path",
       assume="each level still to climb is a step that may fail; four in five succeed"),
    _p("deal.purchase_value_weeks", 4.0, "weeks of pain", 0, 100,
       "value to the US of Chinese purchase commitments", "us-phase-one-shortfall",
       "cn-soy-diversion", assume="on the US agenda from the first round; a month of pain"),
    _p("moves.tool_concession_size", 0.1, "back-downs", 0, 1,
       "lifting one non-tariff tool, as a share of a full back-down", "cn-rare-earth-controls",
       assume="a tool is worth about a tenth of the tariff layers"),
    # --- constituencies: weight in their government's decision (two-level games) -------
    _p("constituency.us.farmers", 0.15, "weight", 0, 1, "US farmers' weight in ratification",
       "us-farmers-harvest", "cn-soy-diversion", "lit-putnam1988",
       assume="a small but pivotal bloc in midterm politics"),
    _p("constituency.us.consumers", 0.25, "weight", 0, 1, "US consumers' weight",
       "pain-thresholds-wrigley", "lit-amiti2019", assume="prices feed popularity"),
    _p("constituency.us.markets", 0.35, "weight", 0, 1, "US financial markets' weight",
       "pain-thresholds-wrigley", "us-standoff-unsustainable",
       assume="the documents name markets first among US pain points"),
    _p("constituency.us.hawks", 0.25, "weight", 0, 1, "US China hawks' weight",
       "us-status-quo-ok", "us-doubled-down-on-china", assume="the rest of the weight"),
    _p("constituency.cn.exporters", 0.25, "weight", 0, 1, "China's exporters and SMEs' weight",
       "cn-smes-hit", "pain-thresholds-wrigley", assume="largest economic bloc"),
    _p("constituency.cn.workers", 0.15, "weight", 0, 1, "China's export workers' weight",
       "cn-jobs-nomura", "lit-goldman-jobs", assume="jobs matter through stability concerns"),
    _p("constituency.cn.nationalists", 0.25, "weight", 0, 1, "China's nationalist public's weight",
       "cn-mao-clip", "lit-weiss2014", assume="dialled up by propaganda"),
    _p("constituency.cn.elite", 0.35, "weight", 0, 1, "China's party elite's weight",
       "cn-legitimacy-risk", "lit-weeks2008",
       assume="elites generate audience costs in a one-party state"),
)

BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}


def defaults() -> dict[str, float]:
    """All parameter defaults by dotted name."""
    return {p.name: p.default for p in PARAMS}


def resolve(overrides: Mapping[str, float | np.ndarray] | None = None, *,
            collapse: bool = True) -> dict[str, float | np.ndarray]:
    """Defaults with overrides applied; raises KeyError/ValueError naming the parameter.

    A value is a number, or a one-dimensional array with one value per run (a sweep's
    points advancing together in one model, ``sim.experiments.sweep``): kept as float32,
    the precision of the model's state, unless all its entries are equal, when it is the
    number itself (so a run is the same whether its value came alone or in an array).
    With ``collapse=False`` an array stays an array however many runs share its value:
    elementwise float32 arithmetic then gives each run the same result in a model of any
    size, which the replay of one run of a calibrated ensemble needs (``sim.io.calibrated``).
    """
    values: dict[str, float | np.ndarray] = dict(defaults())
    for name, value in (overrides or {}).items():
        check(name, value)
        if isinstance(value, np.ndarray):
            if collapse and value.size and bool((value == value.flat[0]).all()):
                values[name] = float(value.flat[0])
            else:
                values[name] = value.astype(np.float32)
        else:
            values[name] = float(value)
    return values


PER_MODEL: frozenset[str] = frozenset({
    "decision.best_response", "decision.reasoning_level", "decision.hierarchy_tau",
    "channel.back_channel", "deal.pause_weeks"})
"""Parameters that decide which computations a week runs (the decision rule, the depth of
the forecast and the weights of its levels, whether the back channel exists, the length of
a pause, which keys the week's terms), not only the values they work on: they hold one
value for all the runs of a model. Every other parameter may hold one value per run."""


def per_run(p: Mapping[str, float | np.ndarray]) -> dict[str, np.ndarray]:
    """The parameters of ``p`` that hold one value per run."""
    return {name: v for name, v in p.items() if isinstance(v, np.ndarray)}


def check(name: str, value: object) -> None:
    """Raise KeyError for an unknown name, ValueError for a bad or out-of-range value (a
    per-run array: every entry checked, the first bad one named)."""
    if name not in BY_NAME:
        raise KeyError(f"unknown parameter '{name}'{_suggest(name, BY_NAME)}")
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "fiu":
            raise ValueError(f"parameter '{name}' per run must be a 1-D array of numbers")
        if name in PER_MODEL and value.size and not bool((value == value.flat[0]).all()):
            raise ValueError(f"parameter '{name}' holds one value for all the runs of a "
                             "model (it decides which computations run); vary it between "
                             "models, not between runs")
        for entry in np.unique(value).tolist():  # the first bad one, in order of value
            check(name, entry)
        return
    p = BY_NAME[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"parameter '{name}' must be a number, got {value!r}")
    if not (p.lo <= value <= p.hi):
        raise ValueError(f"parameter '{name}' = {value} is outside [{p.lo:g}, {p.hi:g}] {p.unit}")
    if p.integer and value != int(value):
        raise ValueError(f"parameter '{name}' must be a whole number, got {value}")


def _suggest(name: str, names: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(names), n=3)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
