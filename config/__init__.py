"""Settings from the environment, in one place (DESIGN §5.4)."""

from config.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
