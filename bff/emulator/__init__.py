"""An emulator of the upstream AI Representative chat API (see upstream-contract.md)."""

from .app import EmulatorConfig, create_emulator

__all__ = ["EmulatorConfig", "create_emulator"]
