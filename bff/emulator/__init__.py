"""An emulator of the upstream AI Representative chat API (docs/upstream-contract.md)."""

from .app import EmulatorConfig, create_emulator

__all__ = ["EmulatorConfig", "create_emulator"]
