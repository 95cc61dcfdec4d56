"""Rules video_coverage_*: share of sampled frames with a face, per recording or level."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.video.face_steps import write_level_coverage, write_recording_coverage  # noqa: E402

if "level" in snakemake.input.keys():  # noqa: F821
    write_level_coverage(snakemake.input.faces, snakemake.input.level, snakemake.output[0])  # noqa: F821
else:
    write_recording_coverage(snakemake.input.faces, snakemake.output[0])  # noqa: F821
