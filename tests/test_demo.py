"""The teaching demo without a browser: sliders, the live run, its narrative, the live
ensemble, and the Solara page rendered in-process (Step, a slider, play one side)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.ensemble import run_ensemble
from sim.model import parameters
from sim.model.model import TradeWarModel
from sim.teach import demo

from .conftest import SCENARIOS

BASELINE = str(SCENARIOS / "baseline.yaml")


def test_the_library_is_offered_and_a_given_file_comes_first(tmp_path, monkeypatch):
    files = demo.scenario_files()
    assert {"baseline", "fentanyl_first", "talk_dont_yield"} <= set(files)
    mine = tmp_path / "mine.yaml"
    mine.write_text(Path(BASELINE).read_text().replace("name: baseline", "name: mine"))
    monkeypatch.setenv(demo.SCENARIO_ENV, str(mine))
    files, first = demo.first_scenario()
    assert first == "mine" and next(iter(files)) == "mine"


@pytest.mark.parametrize("knob", demo.KNOBS, ids=lambda k: k.name)
def test_sliders_are_real_parameters_within_their_valid_range(knob):
    param = parameters.BY_NAME[knob.name]
    assert param.lo <= knob.lo < knob.hi <= param.hi
    assert knob.lo <= param.default <= knob.hi
    if param.sweep:
        assert knob.lo <= param.sweep[0] and param.sweep[1] <= knob.hi


def test_every_library_value_sits_on_its_slider_grid():
    """A browser slider snaps its value to the step: a scenario's own value must survive."""
    for name, path in demo.scenario_files().items():
        for knob_name, value in demo.knob_values(demo.scenario(path)).items():
            knob = demo.BY_KNOB[knob_name]
            lo, _ = demo.knob_range(knob, value)
            steps = (value - lo) / knob.step
            assert abs(steps - round(steps)) < 1e-6, (name, knob_name, value)


def test_slider_values_come_from_the_scenario():
    talk = demo.scenario(str(SCENARIOS / "talk_dont_yield.yaml"))
    values = demo.knob_values(talk)
    assert values["initial.us_face"] == 3.3 and values["initial.cn_face"] == 8.0
    assert demo.overrides_for(talk, values) == {}
    moved = {**values, "decision.rationality": 5.0}
    assert demo.overrides_for(talk, moved) == {"decision.rationality": 5.0}
    with pytest.raises(ValueError):
        demo.overrides_for(talk, {**values, "decision.rationality": -1.0})
    assert demo.knob_range(demo.BY_KNOB["initial.cn_face"], 45.0) == (0.0, 45.0)


def test_live_run_is_run_zero_of_the_ensemble():
    """No demo-only dynamics: the page's run follows the CLI ensemble's run 0."""
    live = demo.LiveRun(BASELINE, run=3, overrides={"face.backdown_weeks": 20.0})
    while live.running:
        live.step()
    assert live.week == live.horizon
    live.step()  # past the horizon: nothing happens
    assert live.week == live.horizon
    sc = demo.scenario(BASELINE)
    ens = run_ensemble(sc, runs=5, seed=demo.run_seed(sc, 3),
                       overrides={"face.backdown_weeks": 20.0}, path_sample=0)
    assert np.allclose(live.recorder.tariff["us"][:, 0], ens.fan["us"][:, 0])
    assert np.isclose(live.us.cum_pain[0], ens.runs["us_cum_pain"].iloc[0])
    # LiveRun overrides no model method but step (which only stops at the horizon)
    core = {name for name, value in vars(TradeWarModel).items() if callable(value)}
    assert core & set(vars(demo.LiveRun)) == {"__init__", "step"}


def test_tariff_stacks_add_up_to_the_effective_tariff():
    live = demo.LiveRun(str(SCENARIOS / "escalation_spiral.yaml"))
    for _ in range(10):
        live.step()
    for t, stacks in enumerate(live.stacks):
        for side in ("us", "cn"):
            assert sum(stacks[side].values()) == pytest.approx(
                float(live.recorder.tariff[side][t, 0]), rel=1e-5)


def test_narrative_follows_the_run():
    live = demo.LiveRun(str(SCENARIOS / "fentanyl_first.yaml"))
    assert "nothing has happened yet" in demo.this_week(live)
    for _ in range(3):
        live.step()
    text = demo.this_week(live)
    assert text.startswith("Week 3 (28 Apr 2025):")
    assert "The US " in text and "China " in text and text.endswith(".")
    assert "Then:" in text
    assert "Run 0 of 'fentanyl_first'" in demo.story(live)


def test_figures_draw():
    live = demo.LiveRun(BASELINE)
    for _ in range(4):
        live.step()
    fig = demo.run_figure(live)
    assert len(fig.axes) == 6
    view = demo.live_ensemble(BASELINE, 0, {})
    fig = demo.ensemble_figure(view, live)
    assert len(fig.axes) == 2


def test_live_ensemble_is_cached_and_moves_with_the_sliders():
    # Its time is measured, not asserted: `python benchmarks/bench_runs.py --runs 300`
    # (the page must update within about a second); moving a slider back is a cache hit.
    demo._ensemble.cache_clear()
    view = demo.live_ensemble(BASELINE, 0, {"decision.rationality": 0.5})
    assert view.runs == demo.ENSEMBLE_RUNS == 300
    assert demo.live_ensemble(BASELINE, 0, {"decision.rationality": 0.5}) is view
    other = demo.live_ensemble(BASELINE, 0, {"decision.rationality": 10.0})
    shares = [s.share for s in view.summary.outcomes]
    assert shares != [s.share for s in other.summary.outcomes]
    assert re.match(r"comprehensive deal \d+%; truce", demo.shares_text(view))


# --- the page, rendered in-process -----------------------------------------------------------
solara = pytest.importorskip("solara")


@pytest.fixture
def page(monkeypatch):
    import ipyvuetify as v

    from sim.teach import app

    monkeypatch.delenv(demo.SCENARIO_ENV, raising=False)

    @solara.component
    def Wrapped():
        with solara.AppLayout():
            app.Page()

    _box, rc = solara.render(Wrapped(), handle_error=False)
    yield v, rc
    rc.close()


def _text(v, rc, cls):
    return rc.find(v.Html, class_=f"tw-text {cls}").widget.children[0]


def test_page_steps_and_moves_a_slider(page):
    v, rc = page
    assert "nothing has happened yet" in _text(v, rc, "tw-this-week")
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert _text(v, rc, "tw-this-week").startswith("Week 2 (21 Apr 2025):")
    before = _text(v, rc, "tw-ensemble-text")
    slider = next(s for s in rc.find(v.Slider).widgets
                  if s.v_model == parameters.BY_NAME["decision.rationality"].default)
    slider.v_model = 0.5
    assert _text(v, rc, "tw-ensemble-text") != before
    assert rc.find(v.Alert).widget.children == [
        "The sliders changed: press Reset to run with them."]
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert "nothing has happened yet" in _text(v, rc, "tw-this-week")
    assert not rc.find(v.Alert).widgets


def test_page_lets_a_student_play_china(page):
    v, rc = page
    player = rc.find(v.Select, class_="tw-player").widget
    player.v_model = "China"
    assert "you play China" in _text(v, rc, "tw-state")
    move = rc.find(v.Select, label="Your move").widget
    assert "hold" in move.items
    move.v_model = "escalate"
    rc.find(v.Btn, children=["Play this move"]).widget.click()
    turn = _text(v, rc, "tw-turn")
    assert turn.startswith("Week 1: You: China escalates.")
    rc.find(v.Btn, children=["Debrief: compare with the agents"]).widget.click()
    assert "Debrief: 1 weeks of 'baseline'" in _text(v, rc, "tw-debrief")


# --- solara's assets for offline machines ------------------------------------------------------
def test_offline_assets_are_the_versions_solara_asks_for():
    from sim.teach import offline_assets

    root = Path(solara.__file__).parent
    text = "".join(p.read_text(errors="ignore") for pattern in ("server/templates/*.j2",
                   "server/settings.py", "widgets/vue/*.vue") for p in root.glob(pattern))
    for spec in offline_assets.PACKAGES:
        assert spec in text, f"solara no longer asks for {spec}"


def test_offline_assets_unpack_into_the_cache(tmp_path, monkeypatch):
    import io
    import tarfile

    from sim.teach import offline_assets

    assert offline_assets.missing(tmp_path) == list(offline_assets.PACKAGES)
    tarball = tmp_path / "pkg.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name, data in (("package/package.json", b"{}"), ("package/dist/a.js", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    target = tmp_path / "cache" / "@widgetti" / "solara-vuetify-app@10.1.1"
    offline_assets._unpack(tarball, target)
    assert (target / "dist" / "a.js").read_bytes() == b"x"
    assert "@widgetti/solara-vuetify-app@10.1.1" not in offline_assets.missing(tmp_path / "cache")
    monkeypatch.setattr(offline_assets.shutil, "which", lambda name: None)
    with pytest.raises(offline_assets.AssetsError, match="npm"):
        offline_assets.install(tmp_path / "empty")


def test_the_demo_fetches_missing_page_assets_or_says_what_to_do(monkeypatch):
    """Offline, a page without its assets is blank: the demo fetches them first, or says
    in one line why it could not and what to run."""
    from sim.cli import ensure_demo_assets
    from sim.teach import offline_assets

    monkeypatch.setattr(offline_assets, "missing", lambda cache=None: [])
    assert ensure_demo_assets() == ""
    monkeypatch.setattr(offline_assets, "missing", lambda cache=None: ["requirejs@2.3.6"])
    monkeypatch.setattr(offline_assets, "install", lambda cache=None, npm="npm": ["a", "b"])
    assert ensure_demo_assets() == ("fetched the demo page's assets into solara's cache "
                                    "(2 packages)")

    def no_npm(cache=None, npm="npm"):
        raise offline_assets.AssetsError("'npm' not found: install Node.js/npm")

    monkeypatch.setattr(offline_assets, "install", no_npm)
    note = ensure_demo_assets()
    assert "\n" not in note and "could not be fetched ('npm' not found" in note
    assert "python -m sim.teach.offline_assets" in note
