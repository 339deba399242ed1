"""The import graph of the layers (issue 13): the core stands alone, the method packages sit on
it and never import each other, the crosscheck compares methods, the command layer is on top."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# repository folder → installed package (pyproject.toml: one `smatrix` namespace)
LAYERS = {"smatrix": "smatrix", "sdp": "smatrix.sdp", "neural": "smatrix.neural",
          "crosscheck": "smatrix.crosscheck", "cli": "smatrix.cli"}
ABOVE = ("smatrix.sdp", "smatrix.neural", "smatrix.crosscheck", "smatrix.cli")
FORBIDDEN = {  # layer → packages it must not import
    "smatrix": ABOVE,
    "smatrix.sdp": ("smatrix.neural", "smatrix.crosscheck", "smatrix.cli"),
    "smatrix.neural": ("smatrix.sdp", "smatrix.crosscheck", "smatrix.cli"),
    "smatrix.crosscheck": ("smatrix.cli",),
    "smatrix.cli": (),
}
OLD_TOP_LEVEL = ("sdp", "neural", "crosscheck")   # names taken on the package index


def _module(path: Path, folder: str) -> str:
    rel = path.relative_to(ROOT / folder).with_suffix("")
    parts = [LAYERS[folder], *rel.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    """Every module a file imports, at top level or inside functions, relative ones resolved."""
    out = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                out.add(name)
                out.update(f"{name}.{a.name}" for a in node.names)
            else:
                out.add(node.module)
                out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    graph = {}
    for folder in LAYERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = _module(path, folder)
            graph[module] = _imports(path, module)
    return graph


def _layer(module: str) -> str:
    return max((p for p in LAYERS.values() if module == p or module.startswith(p + ".")), key=len)


def test_layers_import_only_downwards():
    bad = []
    for module, imported in _graph().items():
        layer = _layer(module)
        for name in imported:
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                bad.append(f"{module} → {name}")
    assert not bad, "upward or sideways imports:\n" + "\n".join(sorted(bad))


def test_no_old_top_level_import_names():
    bad = [f"{m} → {n}" for m, imported in _graph().items() for n in imported
           if n.split(".")[0] in OLD_TOP_LEVEL]
    assert not bad, "\n".join(bad)


def test_graph_is_not_empty_and_sees_function_level_imports():
    """The checker itself: it finds the command layer's (function-level) imports of every method package."""
    graph = _graph()
    assert len(graph) > 60
    cli_imports = set().union(*(v for k, v in graph.items() if k.startswith("smatrix.cli")))
    for package in ("smatrix.sdp", "smatrix.neural", "smatrix.crosscheck"):
        assert any(n.startswith(package + ".") for n in cli_imports), package


def test_installed_names_do_not_claim_generic_top_level_names(tmp_path):
    """Installed (outside the repository), the package provides `smatrix.*` only."""
    import os
    import subprocess
    import sys
    code = ("import importlib.util as u\n"
            f"print([n for n in {OLD_TOP_LEVEL!r} if (s := u.find_spec(n)) and s.origin and s.origin.startswith({str(ROOT)!r})])\n"
            "import smatrix.sdp, smatrix.neural, smatrix.crosscheck, smatrix.cli\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


def test_core_imports_without_the_method_packages():
    """Importing the whole core in a fresh interpreter loads none of the method packages."""
    import subprocess
    import sys
    code = ("import importlib, pkgutil, sys, smatrix, smatrix.twoprr\n"
            "skip = ('smatrix.sdp', 'smatrix.neural', 'smatrix.crosscheck', 'smatrix.cli')\n"
            "for m in pkgutil.walk_packages(smatrix.__path__, 'smatrix.'):\n"
            "    if not m.name.startswith(skip): importlib.import_module(m.name)\n"
            "print(sorted(k for k in sys.modules if k.startswith(skip)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
