"""Steering and suppression on a causal language model (the ``steering`` task's parts).

- :mod:`.lm`: load a causal LM offline, chat-format instructions, batched generation with a
  residual-stream hook (KV cache kept), token-level activations cached by content hash, and
  response perplexity under the unsteered model.
- :mod:`.interventions`: the hooks (addition, clamping, conditional clamping, ablation).
- :mod:`.concepts`: concepts as positive and negative example texts, and the prompts.
- :mod:`.judge`: the automatic, offline metrics (concept, fluency, relevance, harmonic mean).
"""
