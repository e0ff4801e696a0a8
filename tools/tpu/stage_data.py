"""Copies corpora, TFRecords, configs and vocabularies to Cloud Storage.

  python -m tools.tpu.stage_data --sources=data/tfrecords,vocab.txt \
      --destination=gs://my-bucket/biom-electra-base \
      [--create_bucket_location=europe-west4] [--dry_run]

TPU hosts read everything through tf.io.gfile from gs://, never from this
machine; put the bucket in the TPU's region (reads across regions are slow and
billed). `gcloud storage cp` copies in parallel.
"""
from absl import app
from absl import flags

from tools.tpu import gcloud

flags.DEFINE_list("sources", None, "Local files or folders to copy.")
flags.DEFINE_string("destination", None, "gs://bucket/path to copy into.")
flags.DEFINE_string("create_bucket_location", None,
                    "If set, first create the bucket in this location.")
flags.DEFINE_string("project", None, "Google Cloud project for the bucket.")
flags.DEFINE_boolean("dry_run", False,
                     "Print the exact gcloud commands and run nothing.")
flags.mark_flags_as_required(["sources", "destination"])
FLAGS = flags.FLAGS


def build_commands():
  destination = gcloud.gcs_path(FLAGS.destination, "destination")
  commands = []
  if FLAGS.create_bucket_location:
    bucket = "gs://" + destination[len("gs://"):].split("/")[0]
    commands.append(gcloud.bucket_create_command(
        bucket, FLAGS.create_bucket_location, FLAGS.project))
  commands.append(gcloud.storage_cp_command(FLAGS.sources, destination + "/"))
  return commands


def run():
  app.run(gcloud.main_wrapper(build_commands))


if __name__ == "__main__":
  run()
