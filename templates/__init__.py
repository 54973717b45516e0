"""Jinja templates that `kgen new` composes into a training script (shipped as package data)."""
