"""rasa-sdk 3.6's plugin hook: the action server imports a package of this name, if there is one,
and calls `attach_sanic_app_extensions(app)` before it starts serving (rasa_sdk/plugin.py). The
project's one extension is its metrics and probe port (actions/metrics.py)."""
import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class _ActionServerExtensions:
    @staticmethod
    @hookimpl
    def attach_sanic_app_extensions(app) -> None:
        from actions import metrics

        metrics.attach(app)


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(_ActionServerExtensions())
