"""Screens: the main view and the help modal."""
