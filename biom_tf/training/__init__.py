"""Training under tf.distribute: strategy, optimizers, inputs, objectives.

`optimizers.create_optimizer` is the originals' AdamW / LAMB with their
schedule; `pretrain.run_pretraining` is the training loop behind
`tools/run_pretraining.py`, `finetune.run_finetuning` the one behind
`tools/run_finetuning.py`, and `blurb.run_blurb` runs it over the BLURB
datasets and seeds (`tools/run_blurb.py`).
"""
