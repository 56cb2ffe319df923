"""Where the recipes' databases live: ``RECIPES_DATABASE_URL`` or a SQLite file."""

import os
import tempfile

DATABASE_URL = os.environ.get(
    "RECIPES_DATABASE_URL", f"sqlite:///{os.path.join(tempfile.gettempdir(), 'txtest_recipes.db')}"
)
