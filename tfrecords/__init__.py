"""Offline pretraining data: corpus → vocabulary → masked TFRecords.

corpus.py     reading text shards (one sentence per line, blank line between
              documents; plain or .gz; any tf.io.gfile path)
sentences.py  a sentence splitter that keeps biomedical abbreviations whole
pubmed.py     PubMed baseline and update XML → text shards (latest version
              of each PMID, English abstracts, worker processes)
vocab.py      WordPiece and SentencePiece vocabulary learning
instances.py  BERT NSP / ALBERT SOP / ELECTRA packed instances (token ranges)
masking.py    masked-LM predictions (token, whole-word, n-gram), in numpy
examples.py   serialized tf.train.Examples, in numpy
writer.py     TFRecord framing, atomic files (temporary name, then renamed),
              the manifest
blocks.py     how documents are cut into shards and blocks (both runners)
pipeline.py   worker processes, resuming, the manifest, progress: the
              create_pretraining_data entry point
beam.py       the same work as an Apache Beam pipeline (the `beam` extra)

`tfrecords` imports `biom_tf` (tokenizers, the record schema); `biom_tf`
never imports `tfrecords`.
"""
