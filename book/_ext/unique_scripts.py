"""Each script once per page.

sphinx-thebe (0.3.1) registers its inline configuration script,
``const THEBE_JS_URL = ...``, on ``env-before-read-docs``, which a Jupyter
Book build fires twice: every page declared the constants twice, and the
second declaration threw a SyntaxError in every reader's console. This drops
a script that a page already includes, identical in source and attributes.
"""


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # an inline script's filename is None or "", by who added it
        filename = getattr(script, "filename", script) or ""
        attributes = tuple(sorted(getattr(script, "attributes", {}).items()))
        key = (filename, attributes)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    if "script_files" in context:
        context["script_files"][:] = unique


def setup(app):
    # priority 900: after the themes add theirs
    app.connect("html-page-context", _drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
