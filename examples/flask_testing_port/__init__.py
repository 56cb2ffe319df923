"""A small blog written against Flask-Testing, ported by changing one import line."""
