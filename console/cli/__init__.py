"""The command line front end: argument parsing, output for people and scripts, exit codes.

Only `main` is loaded at start (argparse alone), so `batchdeck --help` stays light.
"""

from console.cli.main import main

__all__ = ["main"]
