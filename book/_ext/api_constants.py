"""The API reference's constants, each documented by its ``#:`` comment.

autodoc reads ``#:`` comments only in the module a directive names. A
constant that a package re-exports (``recsys_tutorial.data.EVENT_TYPES``,
defined in ``recsys_tutorial.data.dataset``) has none there, so autodoc falls
back on its value's class docstring ("Built-in immutable sequence..."). This
looks the comment up in the submodule that defines the constant instead.
"""

import sys

from sphinx.pycode import ModuleAnalyzer


def _defining_comment(modname, attr):
    """``attr``'s ``#:`` comment, in ``modname`` or its defining submodule."""
    value = getattr(sys.modules[modname], attr)
    for name in sorted(sys.modules):
        module = sys.modules[name]
        in_package = name == modname or name.startswith(modname + ".")
        if not in_package or getattr(module, attr, None) is not value:
            continue
        try:
            docs = ModuleAnalyzer.for_module(name).find_attr_docs()
        except Exception:  # a compiled or source-less module has no comments
            continue
        if ("", attr) in docs:
            return list(docs[("", attr)])
    return None


def _document_constant(app, what, name, obj, options, lines):
    if what != "data":
        return
    modname, attr = name.rsplit(".", 1)
    comment = _defining_comment(modname, attr)
    if comment is not None:
        lines[:] = comment
    elif (
        type(obj).__doc__
        and "\n".join(lines).strip() == type(obj).__doc__.strip()
    ):
        lines[:] = []  # a class docstring says nothing about this value


def _ignore_unlinkable(app, config):
    # FastAPI documents its Depends marker nowhere Sphinx can link to
    # (serving.api's ServiceDep); YAML cannot write the (type, target)
    # tuples nitpick_ignore holds, so they are added here.
    unlinkable = ("py:class", "fastapi.params.Depends")
    config.nitpick_ignore = {*map(tuple, config.nitpick_ignore), unlinkable}


def setup(app):
    app.connect("autodoc-process-docstring", _document_constant)
    app.connect("config-inited", _ignore_unlinkable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
