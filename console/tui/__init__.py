"""The Textual console: app, screens, widgets, styles and their pure row and cell renderers.

Loaded only when the console is asked for, so the command line never imports Textual.
"""
