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
    "torch==2.13.0",
    "transformers==4.57.6",
]

TOOLS = [
    "pubmed_to_text",
    "build_vocab",
    "create_pretraining_data",
    "run_pretraining",
    "run_finetuning",
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
    extras_require={"test": TEST_REQUIRES, "beam": ["apache-beam"]},
    entry_points={
        "console_scripts": [
            f"biom-{name.replace('_', '-')}=tools.{name}:run" for name in TOOLS
        ]
    },
)
