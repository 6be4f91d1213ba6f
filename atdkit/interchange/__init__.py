"""Dataset interchange: other datasets' layouts in and out of a dataset root (a stage, like
mining and labelling). :mod:`~atdkit.interchange.atd12k`: the ATD-12K folders and annotation JSON."""
