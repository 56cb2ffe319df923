"""The pytest plugin's parts; the plugin itself is ``flask_txtest.pytest_plugin``."""
