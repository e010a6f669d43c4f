"""gonogo: a release gate that decides Go/No-Go from measured figures and gates.yaml."""

__version__ = "0.1.0"
