"""Video branch: SSD face detection once per recording, ResNet/EfficientNet embeddings with
a Random Forest (``video_vggf_rf``), and EfficientNet fine-tuning (``video_effnet``)."""

from emoagree.video.detector import FaceDetector, choose_face, crop_face, locate_detector_files
from emoagree.video.faces import FaceTrack, VideoReadError, extract_faces
from emoagree.video.sampling import (
    VariableFrameRateError,
    covered_stretches,
    even_spread,
    frame_step,
    probe_frame_times,
    sampled_frames,
)

__all__ = [
    "FaceDetector", "FaceTrack", "VariableFrameRateError", "VideoReadError", "choose_face",
    "covered_stretches", "crop_face", "even_spread", "extract_faces", "frame_step",
    "locate_detector_files", "probe_frame_times", "sampled_frames",
]
