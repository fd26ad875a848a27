"""Plug-ins that run inside the Rasa server: the tracker store (and, later, custom channels)."""
