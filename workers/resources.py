"""What tasks need, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from config import Settings
from notifications.channels import channels_from_settings
from notifications.dispatch import Dispatcher
from tracker.db import Database


@dataclass
class Resources:
    settings: Settings
    database: Database
    dispatcher: Dispatcher

    @classmethod
    def from_settings(cls, settings: Settings) -> Resources:
        """Open the database and choose the channels the settings describe."""
        database = Database(settings.database_url)
        dispatcher = Dispatcher(database, channels_from_settings(settings), settings)
        return cls(settings, database, dispatcher)


def resources() -> Resources:
    """The resources of the running app (inside a task or a request)."""
    found: Resources = current_app.extensions["tracker"]
    return found
