"""The data contracts (emoagree.contracts): every contract file survives a round trip with
its columns, order and dtypes; a missing column is an error naming the file and column;
and no module outside the contracts reads or writes a csv (or json) file unless it is on
the allowlist below, with its reason."""

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from levels_fixtures import make_corpus

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.contracts import (
    ContractError,
    corpus,
    crosseval,
    levels,
    metrics,
    predictions,
    split,
)
from emoagree.levels.build import level_table
from emoagree.levels.split import make_split

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "emoagree"
EMOTIONS = list(DEFAULT_EMOTIONS)


def text(values):
    return pd.Series(values, dtype=str)


def interval_frame(n=4, repeats=1):
    """An interval table in the contract's dtypes (ids with leading zeros, one empty
    session), with ``repeats - 1`` repeat fold columns."""
    frame = pd.DataFrame({
        "interval_id": text([f"00{i}" for i in range(n)]),
        "recording": text(["007", "007", "010", "010"][:n]),
        "actor": text(["01", "01", "02", "02"][:n]),
        "scenario": text(["1", "1", "2", "2"][:n]),
        "session": text(["s1", "s1", "", "s2"][:n]),
        "emotion": text(["Angry", "Sad", "Happy", "Angry"][:n]),
        "level": np.ones(n, dtype=int),
        "start_s": [0.1, 1.0 / 3.0, 2.0, 12.345678901234],
        "end_s": [0.9, 1.5, 2.75, 13.0],
        "duration_s": [0.8, 1.5 - 1.0 / 3.0, 0.75, 13.0 - 12.345678901234],
        "split": text(["test"] * n),
        "unit": text(["seg:s1:0", "seg:s1:0", "seg:s2:0", "seg:s2:1"][:n]),
        "fold": np.arange(n, dtype=int) % 3,
    })
    for r in range(1, repeats):
        frame[f"fold_r{r}"] = 3 * r + (np.arange(n, dtype=int) + r) % 3
    return frame


# --- round trips ---------------------------------------------------------------------------


def test_corpus_tables_round_trip(tmp_path):
    recordings = pd.DataFrame({
        "recording": text(["007", "008"]),
        "actor": text(["01", "02"]),
        "scenario": text(["1", "1"]),
        "audio_path": text(["a/007.wav", ""]),  # a one-modality recording
        "video_path": text(["v/007.avi", "v/008.avi"]),
        "duration_s": [12.5, 1.0 / 3.0],
        "fps": [25.0, np.nan],
        "session": text(["s1", "s1"]),
        "split": text(["train", "test"]),
    })
    annotations = pd.DataFrame({
        "recording": text(["007", "008"]),
        "annotator": text(["01", "NA"]),
        "emotion": text(["Angry", "Neutral"]),
        "start_s": [0.1, 1.0 / 7.0],
        "end_s": [2.0, 3.25],
    })
    paths = corpus.write_normalized(recordings, annotations, str(tmp_path / "corpus"))
    pd.testing.assert_frame_equal(corpus.read_recordings(paths[0]), recordings)
    pd.testing.assert_frame_equal(corpus.read_annotations(paths[1]), annotations)
    # the optional columns are written only when present, after the required ones
    corpus.write_normalized(recordings.drop(columns=["split"]), annotations, str(tmp_path))
    header = (tmp_path / "recordings.csv").read_text().splitlines()[0].split(",")
    assert header == [*corpus.RECORDING_COLUMNS, "session"]


def test_corpus_notes_round_trip(tmp_path):
    dropped = pd.DataFrame(
        {"label": text(["Neutral", "NA"]), "marks": [5, 1], "recordings": [2, 1]}
    )
    corpus.write_dropped(dropped, tmp_path / "dropped.csv")
    pd.testing.assert_frame_equal(corpus.read_dropped(tmp_path / "dropped.csv"), dropped)
    corpus.write_unmarked(["007", "NA"], tmp_path / "unmarked.csv")
    assert corpus.read_unmarked(tmp_path / "unmarked.csv") == ["007", "NA"]
    corpus.write_unmarked([], tmp_path / "none.csv")
    assert corpus.read_unmarked(tmp_path / "none.csv") == []


def test_level_table_round_trip(tmp_path):
    table = interval_frame()
    levels.write_level(table, tmp_path / "level1.csv")
    pd.testing.assert_frame_equal(levels.read_level(tmp_path / "level1.csv"), table)
    assert levels.read_rows(tmp_path / "level1.csv", ["interval_id"])[1][0]["recording"] == "007"
    # a reader that needs fewer columns gets the contract's dtypes all the same
    part = levels.read_level(tmp_path / "level1.csv", levels.MODEL_COLUMNS)
    pd.testing.assert_frame_equal(part, table)


def test_columns_are_written_in_the_contracts_order(tmp_path):
    table = interval_frame(repeats=2)
    shuffled = table[list(reversed(table.columns))].assign(extra=1)
    levels.write_level(shuffled, tmp_path / "level2.csv")
    header = (tmp_path / "level2.csv").read_text().splitlines()[0].split(",")
    assert header == [*levels.INTERVAL_COLUMNS, "fold_r1"]


def test_split_round_trip_keeps_the_repeat_columns(tmp_path):
    table = interval_frame(repeats=3)
    split.write_split(table, tmp_path / "split.csv")
    back = split.read_split(tmp_path / "split.csv")
    pd.testing.assert_frame_equal(back, table)
    assert list(back.columns) == [*split.SPLIT_COLUMNS, "fold_r1", "fold_r2"]
    assert split.repeat_columns(back.columns) == ["fold_r1", "fold_r2"]
    table.drop(columns=["fold_r1"]).to_csv(tmp_path / "gap.csv", index=False)
    with pytest.raises(ValueError, match=r"gap.csv: repeat columns \[2\] do not run"):
        split.read_split(tmp_path / "gap.csv")


def test_split_of_a_corpus_round_trips(tmp_path):
    recordings, annotations = make_corpus(seed=5, n_scenarios=1, takes=1)
    renamed = dict(zip(recordings["recording"], ["007", "008"], strict=True))
    recordings["recording"] = recordings["recording"].map(renamed)
    annotations["recording"] = annotations["recording"].map(renamed)
    made = make_split(annotations, recordings, EMOTIONS, "stratified", 0.2, 0.2, 1)
    split.write_split(made, tmp_path / "split.csv")
    back = split.read_split(tmp_path / "split.csv")
    pd.testing.assert_frame_equal(back, made, check_dtype=False)
    assert back["recording"].tolist()[0] == "007"
    assert (back["start_s"].to_numpy() == made["start_s"].to_numpy()).all()
    # a level computed against the re-read split inherits it without tolerance trouble
    level3 = level_table(annotations, recordings, 3, back, EMOTIONS)
    assert len(level3) > 0


def test_arm_table_round_trip(tmp_path):
    table = interval_frame().assign(weight=[0.2, 0.4, 1.0, 0.6], max_level=[1, 2, 5, 3])
    arm_columns = ["weight", "max_level"]
    levels.write_arm_table(table, tmp_path / "Mw.csv", arm_columns)
    pd.testing.assert_frame_equal(levels.read_level(tmp_path / "Mw.csv"), table)
    with pytest.raises(ValueError, match="arm table for .*Ms.csv"):
        levels.write_arm_table(table, tmp_path / "Ms.csv", ["max_level", "weight"])


def test_predictions_round_trip(tmp_path):
    probs = np.random.default_rng(0).dirichlet(np.ones(len(EMOTIONS)), size=3)
    probs[1] = np.nan  # an interval the system cannot score
    table = predictions.make_predictions(["007", "a", "b"], ["Angry", "Sad", "Happy"],
                                         probs, EMOTIONS)
    path = tmp_path / "predictions" / "test1.csv"
    predictions.write_predictions(table, path, EMOTIONS)
    back = predictions.read_predictions(path, EMOTIONS)
    pd.testing.assert_frame_equal(back, table.astype({"interval_id": str, "emotion": str}),
                                  atol=5e-6)
    assert path.read_text().splitlines()[2] == "a,Sad" + "," * len(EMOTIONS)


def test_metrics_round_trip(tmp_path):
    cell = {"uar": 0.5, "uar_ci": [0.4, 0.6], "recall": dict.fromkeys(EMOTIONS, 0.5),
            "n_intervals": 3, "optimistic": False}
    path = tmp_path / "metrics" / "audio_svm" / "train1" / "test2.json"
    metrics.write_metrics(cell, path)
    assert metrics.read_metrics(path) == cell
    assert path.read_text().endswith("}\n")
    path.write_text('{"uar_ci": [0.4, 0.6]}')
    with pytest.raises(ContractError, match=r"test2.json: missing key\(s\) \['uar'\]"):
        metrics.read_metrics(path)
    path.write_text("{")
    with pytest.raises(ContractError, match="test2.json: not valid JSON"):
        metrics.read_metrics(path)


def test_crosseval_round_trip(tmp_path):
    frame = pd.DataFrame(
        {"test1": [60.5, np.nan], "test2": [55.25, 40.0], "mean": [57.875, 40.0]},
        index=pd.Index(["1", "Mw"], name=crosseval.INDEX_COLUMN),
    )
    crosseval.write_crosseval(frame, tmp_path / "audio_svm.csv")
    pd.testing.assert_frame_equal(crosseval.read_crosseval(tmp_path / "audio_svm.csv"), frame)


# --- missing columns -------------------------------------------------------------------------


def _readers():
    """(file name, full header, reader) of every csv contract."""
    return [
        ("recordings.csv", list(corpus.REQUIRED_RECORDING_COLUMNS), corpus.read_recordings),
        ("annotations.csv", list(corpus.ANNOTATION_COLUMNS), corpus.read_annotations),
        ("dropped_labels.csv", list(corpus.DROPPED_COLUMNS), corpus.read_dropped),
        ("unmarked_recordings.csv", list(corpus.UNMARKED_COLUMNS), corpus.read_unmarked),
        ("level2.csv", list(levels.INTERVAL_COLUMNS), levels.read_level),
        ("level3.csv", list(levels.INTERVAL_COLUMNS), lambda p: levels.read_rows(p, ["fold"])),
        ("split.csv", list(split.SPLIT_COLUMNS), split.read_split),
        ("test1.csv", predictions.prediction_columns(EMOTIONS),
         lambda p: predictions.read_predictions(p, EMOTIONS)),
        ("val.csv", predictions.prediction_columns(EMOTIONS),
         lambda p: predictions.read_arrays(p, EMOTIONS)),
        ("crosseval.csv", [crosseval.INDEX_COLUMN, "mean"], crosseval.read_crosseval),
    ]


@pytest.mark.parametrize("name, header, reader", _readers(), ids=[r[0] for r in _readers()])
def test_a_missing_column_names_the_file_and_column(tmp_path, name, header, reader):
    dropped = header[-1]
    path = tmp_path / name
    path.write_text(",".join([*(c for c in header if c != dropped), "other"]) + "\n")
    with pytest.raises(ContractError, match=rf"{name}: missing column\(s\) \['{dropped}'\]"):
        reader(path)


def test_a_table_missing_a_column_is_not_written(tmp_path):
    with pytest.raises(ContractError, match=r"missing column\(s\) \['fold'\]"):
        levels.write_level(interval_frame().drop(columns=["fold"]), tmp_path / "level1.csv")
    assert not (tmp_path / "level1.csv").exists()


# --- no csv or json file outside the contracts ------------------------------------------------

#: Modules (package and scripts) that read or write csv files which are no stage's
#: contract, each with its reason.
CSV_ALLOWED = {
    "src/emoagree/corpus/csv_files.py": "reads a lab's own csv corpus files (an input format)",
    "src/emoagree/corpus/demo/generate.py": "writes the demo corpus's input files (RAMAS "
    "layout and its hidden truth.csv), which the corpus adapters read like any corpus",
    "src/emoagree/report/table1.py": "writes Table 1 (results/tables), read by no rule",
    "src/emoagree/report/departures.py": "writes departures.csv (results/tables), read by no rule",
    "src/emoagree/video/face_steps.py": "writes the face coverage tables (results/tables), "
    "read by no rule",
    "scripts/report_paper.py": "writes the paper's published Tables 2 and 3 (results/tables)",
    "scripts/report_table2.py": "writes Table 2 (results/tables), read by no rule",
    "scripts/report_table3.py": "writes Table 3 (results/tables), read by no rule",
    "scripts/arms_truth.py": "reads the demo corpus's hidden truth.csv (an input) and writes "
    "the arms' truth accuracy table (results/tables), read by no rule",
    "scripts/report_truth_figure.py": "reads the demo corpus's hidden truth.csv (an input)",
}

#: Modules that write JSON that is not a cell's metrics (emoagree.contracts.metrics).
JSON_ALLOWED = {
    "src/emoagree/audio/functionals.py": "the functionals' status counts (results/features)",
    "src/emoagree/audio/steps.py": "feature counts and model reports (results/features, models)",
    "src/emoagree/audio/lstm_train.py": "a digest of the training settings, not a file",
    "src/emoagree/fusion/steps.py": "fusion weights and info (results/models)",
    "src/emoagree/video/effnet.py": "a digest of the training settings, not a file",
    "src/emoagree/video/forest_steps.py": "the Random Forest's model report (results/models)",
    "src/emoagree/report/answer.py": "answer.json (results/tables)",
    "src/emoagree/report/departures.py": "a stable text of a setting's value, not a file",
    "scripts/levels_alpha.py": "a level's agreement (results/corpus/agreement)",
    "scripts/levels_split_overlap.py": "the split's overlap summary (results/corpus)",
    "scripts/report_best.py": "best_system.json (results/tables)",
}

CSV_CALLS = {"read_csv", "to_csv", "read_json", "to_json", "read_parquet", "to_parquet"}
CSV_MODULE_CALLS = {"reader", "writer", "DictReader", "DictWriter"}
JSON_CALLS = {"dump", "dumps"}


def _io_calls(path: Path) -> tuple[list[str], list[str]]:
    """The csv and json writing calls of one module: ``name:line`` each."""
    tables, jsons = [], []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(
            func.value, ast.Name) else ""
        where = f"{name}:{node.lineno}"
        if name in CSV_CALLS or (owner == "csv" and name in CSV_MODULE_CALLS):
            tables.append(where)
        elif owner == "json" and name in JSON_CALLS:
            jsons.append(where)
    return tables, jsons


def _modules() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *(ROOT / "scripts").glob("*.py")])


def test_only_the_contracts_read_and_write_csv_files():
    contracts = PACKAGE / "contracts"
    found_csv, found_json = {}, {}
    for path in _modules():
        if contracts in path.parents:
            continue
        name = str(path.relative_to(ROOT))
        tables, jsons = _io_calls(path)
        if tables and name not in CSV_ALLOWED:
            found_csv[name] = tables
        if jsons and name not in JSON_ALLOWED:
            found_json[name] = jsons
    assert not found_csv, (
        f"csv read or written outside emoagree.contracts: {found_csv}; use the contract "
        "module of that file, or (an input format, a table no rule reads) add the module "
        "to CSV_ALLOWED with its reason"
    )
    assert not found_json, (
        f"JSON written outside emoagree.contracts: {found_json}; a cell's metrics go "
        "through emoagree.contracts.metrics; other JSON: add the module to JSON_ALLOWED"
    )


def test_the_allowlists_hold_no_stale_entries():
    modules = {str(p.relative_to(ROOT)): _io_calls(p) for p in _modules()}
    stale = [n for n in CSV_ALLOWED if n not in modules or not modules[n][0]]
    stale += [n for n in JSON_ALLOWED if n not in modules or not modules[n][1]]
    assert not stale, f"allowlisted but reading or writing nothing: {stale}"
