"""The built-in demo dataset: synthetic mammograms (synth) written as a real archive (build)."""
