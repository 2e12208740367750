"""The templates' context: Jinja's, with a shorter way to call a plain function.

Every ``{{ _("...") }}``, ``url_for(...)`` or ``status_label(...)`` in a template goes through
``Context.call``, which looks for ``pass_context``-style markers on the callable and its
``__call__`` each time (a page makes some forty such calls). A plain Python function without
the marker (Jinja sets it as the ``jinja_pass_arg`` attribute) needs none of that: it is called
directly, with the same arguments and the same answer to a StopIteration. Everything else
(macros, bound methods, marked functions) takes Jinja's own path.
"""

from __future__ import annotations

from types import FunctionType
from typing import Any

from flask import Flask
from jinja2.runtime import Context


class PlainCallContext(Context):
    """Jinja's template context, calling unmarked plain functions directly."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's names
        """Call ``__obj`` as ``Context.call`` would."""
        if type(__obj) is not FunctionType or hasattr(__obj, "jinja_pass_arg"):
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            # What the compiler adds for calls inside loops and blocks, for marked callables.
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


def init_templating(app: Flask) -> None:
    """Use PlainCallContext for the app's templates."""
    app.jinja_env.context_class = PlainCallContext
