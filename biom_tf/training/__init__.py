"""Pretraining under tf.distribute: strategy, optimizers, inputs, objectives.

`optimizers.create_optimizer` is the originals' AdamW / LAMB with their
schedule; `pretrain.run_pretraining` is the training loop behind
`tools/run_pretraining.py`.
"""
