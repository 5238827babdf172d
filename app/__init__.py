"""gongkai's web application: create_app() builds the Flask app over one index folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None, *, settings: dict | None = None) -> Flask:
    """Return the Flask app: defaults, then GONGKAI_* environment variables, then test_config.

    `settings` (from `gongkai serve`'s options) apply on top of the environment; tests pass
    test_config instead, which leaves the environment out.

    The index is opened here, once; a missing index fails now, with the command that builds it.
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    app.config.from_mapping(
        INDEX_DIR=str(ROOT / "index"),
        CORPUS_DIR=str(ROOT / "corpus"),
        ADMIN_TOKEN=None,  # GONGKAI_ADMIN_TOKEN enables /admin
        SECRET_KEY=secrets.token_hex(32),  # sessions last as long as the process unless set
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,  # request body limit (uploads included)
        UPLOAD_MAX_BYTES=20 * 1024 * 1024,
        SEARCH_TIME_LIMIT=5.0,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    if test_config is None:
        app.config.from_prefixed_env("GONGKAI")
        # from_prefixed_env reads values as JSON: a token "123456" would become an int. Secrets
        # and paths are kept exactly as given.
        for name in ("ADMIN_TOKEN", "SECRET_KEY", "INDEX_DIR", "CORPUS_DIR"):
            if f"GONGKAI_{name}" in os.environ:
                app.config[name] = os.environ[f"GONGKAI_{name}"]
    else:
        app.config.from_mapping(test_config)
    if settings:
        app.config.from_mapping(settings)

    from app.search import open_index

    app.extensions["gongkai"] = open_index(app.config["INDEX_DIR"])

    from app import web

    web.init_app(app)
    return app
