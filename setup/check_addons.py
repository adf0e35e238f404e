"""Checks of the addons that neither ruff nor pylint-odoo make (run by setup/lint.sh):

- every Python module an addon imports outside the standard library and Odoo is listed in its
  manifest's ``external_dependencies`` (Odoo then refuses to install the addon where it is missing,
  instead of failing on first use);
- every test module of an addon is imported by its ``tests/__init__.py``, so Odoo's own test runner
  (``odoo-bin --test-enable --test-tags /addon``) runs the same tests as pytest, and none of them is
  a plain ``unittest.TestCase``, which that runner skips.
"""
import ast
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def addons():
    return sorted(name for name in os.listdir(REPO_ROOT)
                  if os.path.isfile(os.path.join(REPO_ROOT, name, "__manifest__.py")))


def imported_top_modules(path):
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            yield node.module.split(".")[0], node.lineno


def python_files(addon, tests):
    for folder, dirs, files in os.walk(os.path.join(REPO_ROOT, addon)):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        in_tests = os.path.relpath(folder, REPO_ROOT).split(os.sep)[1:2] == ["tests"]
        if in_tests == tests:
            yield from (os.path.join(folder, name) for name in sorted(files) if name.endswith(".py"))


def check_external_dependencies(addon):
    manifest = ast.literal_eval(open(os.path.join(REPO_ROOT, addon, "__manifest__.py"), encoding="utf-8").read())
    listed = set(manifest.get("external_dependencies", {}).get("python", []))
    for path in python_files(addon, tests=False):
        siblings = {name[:-3] for name in os.listdir(os.path.dirname(path)) if name.endswith(".py")}
        for module, line in imported_top_modules(path):
            # a sibling module imported by a file that also runs as a script is the addon's own
            if module not in sys.stdlib_module_names | siblings | listed | {"odoo"}:
                yield (f"{os.path.relpath(path, REPO_ROOT)}:{line}: imports '{module}', "
                       f"missing from external_dependencies of {addon}/__manifest__.py")


def check_tests_imported(addon):
    folder = os.path.join(REPO_ROOT, addon, "tests")
    if not os.path.isdir(folder):
        return
    init = os.path.join(folder, "__init__.py")
    imported = {alias.name for node in ast.parse(open(init, encoding="utf-8").read()).body
                if isinstance(node, ast.ImportFrom) for alias in node.names}
    for name in sorted(os.listdir(folder)):
        if name.startswith("test_") and name.endswith(".py") and name[:-3] not in imported:
            yield f"{addon}/tests/{name}: not imported by {addon}/tests/__init__.py (Odoo's test runner skips it)"


def check_tests_odoo_runs(addon):
    """Odoo's runner only loads Odoo's test cases: a plain unittest.TestCase is skipped there."""
    for path in python_files(addon, tests=True):
        tree = ast.parse(open(path, encoding="utf-8").read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(ast.unparse(base) in ("unittest.TestCase", "TestCase")
                                                      and "unittest" in ast.unparse(tree) for base in node.bases):
                yield (f"{os.path.relpath(path, REPO_ROOT)}:{node.lineno}: {node.name} is a unittest.TestCase, "
                       "which Odoo's test runner skips: derive it from odoo.tests.BaseCase")


def main():
    checks = (check_external_dependencies, check_tests_imported, check_tests_odoo_runs)
    problems = [problem for addon in addons() for check in checks for problem in check(addon)]
    for problem in problems:
        sys.stdout.write(problem + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
