"""The recording: one self-describing `.npz` of a trained network, its data and its history,
read as untrusted input.

    format    the arrays, save and load (format 3; formats 1 and 2 are still read)
    meta      the description as typed dataclasses: data, network, training, metrics, versions
    validate  what a file must be before it is trusted: headers, declared sizes, metadata
"""

from .format import FORMAT_VERSION, READS, Recording, Snapshots, load, save
from .meta import Data, FieldStep, Flow, Meta, Metrics, NetSource, versions
from .validate import RecordingError

__all__ = ["FORMAT_VERSION", "READS", "Data", "FieldStep", "Flow", "Meta", "Metrics", "NetSource", "Recording",
           "RecordingError", "Snapshots", "load", "save", "versions"]
