"""biom_tf: build biomedical BERT / ALBERT / ELECTRA models in TensorFlow 2."""
import setuptools

# The stack is pinned to what was measured (see README "Stack"): Model Garden
# 2.20 is Keras 2, so tf-keras is used everywhere and TF_USE_LEGACY_KERAS=1.
INSTALL_REQUIRES = [
    "tensorflow~=2.20.0",
    "tf-keras~=2.20.0",
    "tensorflow-text~=2.20.0",
    "tf-models-official==2.20.0",
    "sentencepiece",
    "absl-py",
    "safetensors",
    "numpy",
]

# Oracles for parity tests: an independent reading of the original formats.
# Never runtime dependencies. torch 2.13.0 (CPU) is the wheel on this disk.
TEST_REQUIRES = [
    "pytest",
    # `make test` runs the suite in two processes (-n 2): CI's 2 cores are
    # otherwise half idle while one test imports, traces or waits on a
    # subprocess.
    "pytest-xdist",
    "torch==2.13.0",
    "transformers==4.57.6",
    # tensorflow_hub (pulled in by tf-models-official; the oracle of the
    # SavedModel's TF Hub contract) imports pkg_resources, which setuptools
    # 81 and later no longer ship.
    "setuptools<81",
]

# Apache Beam for `tools/create_pretraining_data.py --runner=...` and
# tfrecords/beam.py. apache-beam 2.77.0 needs protobuf < 7 (it resolves to
# 6.33.6 with this stack; TensorFlow 2.20 runs on it), and sentencepiece
# 0.2.3's generated code refuses a protobuf runtime older than 7.36, so the
# extra keeps sentencepiece at 0.2.2 (same library; its generated code has
# no runtime check).
BEAM_REQUIRES = [
    "apache-beam==2.77.0",
    "sentencepiece==0.2.2",
]

TOOLS = [
    "pubmed_to_text",
    "build_vocab",
    "create_pretraining_data",
    "run_pretraining",
    "run_finetuning",
    "run_blurb",
    "convert_checkpoint",
]

setuptools.setup(
    name="biom_tf",
    version="0.1.0",
    description=("TensorFlow 2 / Keras reference implementation for building "
                 "biomedical BERT, ALBERT and ELECTRA models."),
    python_requires=">=3.11,<3.12",
    packages=setuptools.find_packages(include=["biom_tf", "biom_tf.*",
                                               "tfrecords", "tfrecords.*",
                                               "tools", "tools.*"]),
    package_data={"biom_tf": ["demo/*.txt"]},
    install_requires=INSTALL_REQUIRES,
    extras_require={"test": TEST_REQUIRES, "beam": BEAM_REQUIRES},
    entry_points={
        "console_scripts": [
            f"biom-{name.replace('_', '-')}=tools.{name}:run" for name in TOOLS
        ]
    },
)
