"""The teaching demo: a Solara page built from Mesa's SolaraViz parts (``tradewar demo``).

Run with ``tradewar demo [SCENARIO]`` or ``solara run sim/teach/app.py``.  Mesa's
``ModelController`` drives the live run (Step, play/pause, Reset); the sliders feed both
the next Reset and a live ensemble of a few hundred runs recomputed as they move; a student
can take one side and pick its move each week.  All logic is in ``sim.teach.demo`` and
``sim.teach.play``, which use the same model code as the command line.
"""

from __future__ import annotations

import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import force_update, update_counter

from sim.model.moves import INDEX, MOVES
from sim.teach import demo
from sim.teach.play import Game, debrief

CSS = """
.tw-text { white-space: pre-wrap; font-size: 13px; line-height: 1.35; }
.tw-story { max-height: 420px; overflow-y: auto; }
.tw-charts img { max-width: 100%; }
.tw-knob { font-size: 13px; margin-bottom: -14px; }
"""


@solara.component
def RunCharts(model: demo.LiveRun):
    """The live run's six panels; redrawn after every step."""
    tick = update_counter.get()
    figure = solara.use_memo(lambda: demo.run_figure(model), [model, model.week, tick])
    with solara.Column(classes=["tw-charts", "tw-run-charts"]):
        solara.FigureMatplotlib(figure, format="png", dependencies=[model, model.week, tick])


@solara.component
def Narrative(model: demo.LiveRun):
    """This week's moves and reasons, and the run's story so far."""
    update_counter.get()
    with solara.Column(classes=["tw-narrative"]):
        solara.Text(demo.this_week(model), classes=["tw-text", "tw-this-week"])
        with solara.Details("The story so far", expand=False):
            solara.Text(demo.story(model), classes=["tw-text", "tw-story"])


@solara.component
def EnsemblePanel(params: dict, model: demo.LiveRun):
    """Outcome shares and tariff fan of a live ensemble for the current sliders."""
    update_counter.get()
    view = demo.live_ensemble(params["scenario_file"], params["run"], params["overrides"])
    figure = solara.use_memo(lambda: demo.ensemble_figure(view, model),
                             [view, model, model.week])
    with solara.Column(classes=["tw-charts", "tw-ensemble"]):
        solara.Text(f"{view.runs} runs, computed in {view.seconds:.2f} s (cached when seen "
                    f"before). Outcome shares: {demo.shares_text(view)}.",
                    classes=["tw-text", "tw-ensemble-text"])
        solara.FigureMatplotlib(figure, format="png", dependencies=[view, model, model.week])


@solara.component
def PlayerControls(model: solara.Reactive[demo.LiveRun], side: str):
    """The student's move for this week, from the agent's own menu."""
    update_counter.get()
    live = model.value
    game = solara.use_memo(lambda: Game(live, side, live.run_seed, live.overrides),
                           [live, side])
    chosen = solara.use_reactive("hold")
    option = solara.use_reactive("")
    show_debrief = solara.use_reactive(False)
    if game.done:
        solara.Text(f"Week {live.week} of {live.horizon}: the game is over.")
    else:
        menu = game.menu()
        move = chosen.value if chosen.value in menu else menu[0]
        solara.Text(game.state_text(), classes=["tw-text", "tw-state"])
        solara.Select("Your move", values=menu, value=move, on_value=chosen.set)
        solara.Text(MOVES[INDEX[move]].summary, classes=["tw-text"])
        options = game.options(move)
        labels = [o.label for o in options]
        picked = option.value if option.value in labels else (labels[0] if labels else "")
        if options:
            solara.Select("Which one", values=labels, value=picked, on_value=option.set)

        def play_move():
            opt = next((o for o in options if o.label == picked), None)
            game.play(move, opt)
            force_update()

        solara.Button("Play this move", color="primary", on_click=play_move,
                      classes=["tw-play-move"])
    if game.turns:
        last = game.turns[-1]
        solara.Text(f"Week {last.week}: {last.player_text}\n{last.rival_text}\n"
                    f"{last.consequences}", classes=["tw-text", "tw-turn"])
    wanted = (show_debrief.value or game.done) and live.week > 0
    text = solara.use_memo(lambda: debrief(game) if wanted else "", [game, live.week, wanted])
    solara.Button("Debrief: compare with the agents", on_click=lambda: show_debrief.set(True),
                  disabled=live.week == 0, text=True)
    if text:
        solara.Text(text, classes=["tw-text", "tw-debrief"])


@solara.component
def Page():
    update_counter.get()  # the week shown in the card titles
    files, first = solara.use_memo(demo.first_scenario, [])
    name = solara.use_reactive(first)
    sc = demo.scenario(files[name.value])
    values = solara.use_reactive(demo.knob_values(sc))
    run = solara.use_reactive(0)
    player = solara.use_reactive(next(iter(demo.PLAYERS)))
    params = solara.use_reactive({"scenario_file": files[first], "run": 0, "overrides": {}})
    initial = solara.use_memo(lambda: demo.LiveRun(**params.value), [])
    model = solara.use_reactive(initial)
    play_interval = solara.use_reactive(250)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)

    def update(reset: bool = False, **changes):
        new = {**params.value, **changes}
        params.set(new)
        if reset:
            model.set(demo.LiveRun(**new))

    def pick_scenario(new_name: str):
        name.set(new_name)
        fresh = demo.scenario(files[new_name])
        values.set(demo.knob_values(fresh))
        update(reset=True, scenario_file=files[new_name], overrides={})

    def move_knob(knob: str, value: float):
        new = {**values.value, knob: float(value)}
        values.set(new)
        update(overrides=demo.overrides_for(sc, new))

    def scenario_values():
        values.set(demo.knob_values(sc))
        update(overrides={})

    def pick_run(value: int):
        run.set(int(value))
        update(reset=True, run=int(value))

    def pick_player(label: str):
        player.set(label)
        model.set(demo.LiveRun(**params.value))

    solara.Style(CSS)
    solara.Title("tradewar-sim demo")
    with solara.AppBar():
        solara.AppBarTitle("US-China tariff negotiation: teaching demo")
    side = demo.PLAYERS[player.value]
    stale = model.value.params != params.value
    with solara.Sidebar():
        with solara.Card("Scenario"):
            solara.Select("Scenario", values=list(files), value=name.value,
                          on_value=pick_scenario, classes=["tw-scenario"])
            solara.Text(sc.description.strip(), classes=["tw-text"])
            solara.SliderInt("Run number (seed offset)", value=run.value, min=0, max=99,
                             on_value=pick_run)
            solara.Select("Play one side", values=list(demo.PLAYERS), value=player.value,
                          on_value=pick_player, classes=["tw-player"])
        with solara.Card("This run" if not side else f"You play {player.value}"):
            if side:
                PlayerControls(model, side)
                solara.Button("Reset", on_click=lambda: model.set(
                    demo.LiveRun(**params.value)), classes=["tw-reset"])
            else:
                ModelController(model, model_parameters=params,
                                play_interval=play_interval, render_interval=render_interval,
                                use_threads=use_threads)
            if stale:
                solara.Info("The sliders changed: press Reset to run with them.", dense=True)
        with solara.Card("Parameters"):
            for knob in demo.KNOBS:
                value = values.value[knob.name]
                lo, hi = demo.knob_range(knob, value)
                solara.v.Html(tag="div", class_="tw-knob", children=[f"{knob.label}: {value:g}"],
                              attributes={"title": f"{knob.name}: {knob.help}"})
                solara.SliderFloat("", value=value, min=lo, max=hi, step=knob.step,
                                   on_value=lambda v, k=knob.name: move_knob(k, v))
            solara.Button("Scenario values", on_click=scenario_values, text=True)
    with solara.Columns([3, 2]):
        with solara.Card(f"Run: week {model.value.week} of {model.value.horizon}"):
            RunCharts(model.value)
        with solara.Card("What happened and why"):
            Narrative(model.value)
    with solara.Card(f"Live ensemble: {demo.ENSEMBLE_RUNS} runs with these sliders"):
        EnsemblePanel(params.value, model.value)


page = Page
