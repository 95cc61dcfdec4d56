"""The VGGFace2 ResNet-50 backbone and its preprocessing, without the real weights."""

import logging
import pickle

import numpy as np
import pytest
import torch

from emoagree.video.backbones import create_backbone, normalization
from emoagree.video.embeddings import embed_crops
from emoagree.video.preprocessing import (
    IMAGENET,
    VGGFACE2,
    VGGFACE2_MEAN_BGR,
    prepare,
    resolve_preprocessing,
)
from emoagree.video.vggface2 import NAME, VGGFace2ResNet50, load_weights, read_weights


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return VGGFace2ResNet50().eval()


def random_arrays(model, seed=1):
    """Random weights in the authors' format: numpy arrays by module name, with an fc."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue  # the authors' file has no such counters
        if key.endswith("running_var"):
            arrays[key] = rng.uniform(0.5, 1.5, value.shape).astype(np.float32)
        else:
            arrays[key] = (0.05 * rng.standard_normal(value.shape)).astype(np.float32)
    arrays["fc.weight"] = rng.standard_normal((8631, 2048)).astype(np.float32)
    arrays["fc.bias"] = np.zeros(8631, dtype=np.float32)
    return arrays


def test_stage_outputs_have_the_caffe_resnet50_sizes(model):
    x = torch.zeros(1, 3, 224, 224)
    stem = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    assert stem.shape == (1, 64, 56, 56)
    shapes = []
    with torch.no_grad():
        for stage in model.stages():
            stem = stage(stem)
            shapes.append(tuple(stem.shape[1:]))
    assert shapes == [(256, 56, 56), (512, 28, 28), (1024, 14, 14), (2048, 7, 7)]
    assert model(x).shape == (1, 2048) and model.num_features == 2048


def test_stride_sits_on_the_first_1x1_conv_of_each_stage(model):
    seen = {}

    def hook(name):
        def record(module, inputs, output):
            seen[name] = (tuple(inputs[0].shape[-2:]), tuple(output.shape[-2:]))
        return record

    handles = []
    for index, stage in enumerate(model.stages(), start=1):
        block = stage[0]
        handles.append(block.conv1.register_forward_hook(hook(f"layer{index}.conv1")))
        handles.append(block.conv2.register_forward_hook(hook(f"layer{index}.conv2")))
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    for handle in handles:
        handle.remove()
    for index, size in zip((2, 3, 4), (56, 28, 14), strict=True):
        block = model.stages()[index - 1][0]
        assert block.conv1.kernel_size == (1, 1) and block.conv1.stride == (2, 2)
        assert block.conv2.kernel_size == (3, 3) and block.conv2.stride == (1, 1)
        assert block.downsample[0].stride == (2, 2)
        # the 1x1 conv halves the map; the 3x3 conv after it keeps the size
        assert seen[f"layer{index}.conv1"] == ((size, size), (size // 2, size // 2))
        assert seen[f"layer{index}.conv2"] == ((size // 2, size // 2), (size // 2, size // 2))
    assert seen["layer1.conv1"] == ((56, 56), (56, 56))
    assert model.maxpool.ceil_mode and model.maxpool.padding == 0


def test_authors_pickle_and_state_dict_give_the_same_network(model, tmp_path):
    arrays = random_arrays(model)
    pkl = tmp_path / "resnet50_ft_weight.pkl"
    with open(pkl, "wb") as handle:
        pickle.dump(arrays, handle, protocol=2)
    pth = tmp_path / "resnet50_ft.pth"
    torch.save({k: torch.from_numpy(v) for k, v in arrays.items()}, pth)
    from_pickle = create_backbone(NAME, {"source": "file", "path": str(pkl)}).eval()
    from_state = create_backbone(NAME, {"source": "file", "path": str(pth)}).eval()
    for key, value in from_pickle.state_dict().items():
        if not key.endswith("num_batches_tracked"):
            np.testing.assert_array_equal(value.numpy(), arrays[key])
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = from_pickle(x), from_state(x)
    assert a.shape == (2, 2048)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert from_pickle.preprocessing == VGGFACE2
    # a legacy (not zip) torch.save file and a wrapped, DataParallel-named one load too
    legacy = tmp_path / "legacy.pth"
    torch.save({k: torch.from_numpy(v) for k, v in arrays.items()}, legacy,
               _use_new_zipfile_serialization=False)
    wrapped = tmp_path / "wrapped.pth"
    torch.save({"state_dict": {f"module.{k}": torch.from_numpy(v) for k, v in arrays.items()}},
               wrapped)
    for path in (legacy, wrapped):
        tensors = read_weights(path)
        assert set(tensors) == set(arrays)
        np.testing.assert_array_equal(tensors["layer4.2.conv3.weight"].numpy(),
                                      arrays["layer4.2.conv3.weight"])


def test_weight_files_that_do_not_fit_are_refused(model, tmp_path):
    arrays = random_arrays(model)
    del arrays["layer3.0.conv1.weight"]
    path = tmp_path / "partial.pkl"
    path.write_bytes(pickle.dumps(arrays, protocol=2))
    with pytest.raises(ValueError, match="layer3.0.conv1.weight"):
        load_weights(VGGFace2ResNet50(), path)
    arrays = random_arrays(model)
    arrays["layer1.0.conv1.weight"] = arrays["layer1.0.conv1.weight"][:, :32]
    path.write_bytes(pickle.dumps(arrays, protocol=2))
    with pytest.raises(ValueError, match="shape"):
        load_weights(VGGFace2ResNet50(), path)


def test_a_pickle_with_code_is_not_run(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("not a weight",))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"conv1.weight": Payload()}))
    with pytest.raises(ValueError, match="builtins.print"):
        read_weights(path)


def test_known_pixel_becomes_bgr_minus_the_vggface2_mean():
    rgb = (10, 20, 200)
    crops = np.zeros((1, 300, 300, 3), dtype=np.uint8) + np.array(rgb, dtype=np.uint8)
    x = prepare(crops, 224, VGGFACE2)
    assert x.shape == (1, 3, 224, 224)
    expected = [rgb[2] - VGGFACE2_MEAN_BGR[0], rgb[1] - VGGFACE2_MEAN_BGR[1],
                rgb[0] - VGGFACE2_MEAN_BGR[2]]  # B, G, R minus (91.4953, 103.8827, 131.0912)
    for channel, value in enumerate(expected):
        torch.testing.assert_close(x[0, channel], torch.full((224, 224), value), atol=1e-3,
                                   rtol=0)
    # ImageNet for comparison: RGB, 0-1, divided by the std
    y = prepare(crops, 224, IMAGENET)
    assert float(y[0, 0, 0, 0]) == pytest.approx((10 / 255 - 0.485) / 0.229, abs=1e-4)


def test_vggface2_resize_shorter_side_then_centre_crop():
    # 256 x 320 (h x w): the shorter side is already 256, so the centre 224 is taken as is
    crops = np.zeros((1, 256, 320, 3), dtype=np.uint8)
    crops[0, :, :, 1] = (np.arange(320) % 256).astype(np.uint8)[None, :]  # green = column
    x = prepare(crops, 224, VGGFACE2)
    left = (320 - 224) // 2
    np.testing.assert_allclose(x[0, 1, 0].numpy() + VGGFACE2_MEAN_BGR[1],
                               (np.arange(left, left + 224) % 256), atol=1e-3)
    # a square crop at another size scales the same way (input 112: shorter side 128)
    assert prepare(np.zeros((2, 96, 96, 3), np.uint8), 112, VGGFACE2).shape == (2, 3, 112, 112)


def test_preprocessing_follows_the_weights_and_can_be_overridden():
    assert resolve_preprocessing(NAME, {"source": "file"}) == VGGFACE2
    assert resolve_preprocessing("resnet50", {"source": "hub"}).name == "imagenet"
    own = resolve_preprocessing(NAME, {"source": "file", "preprocessing": {
        "preset": "vggface2", "channel_order": "RGB", "mean": [131.0912, 103.8827, 91.4953]}})
    assert own.channel_order == "RGB" and own.mean == (131.0912, 103.8827, 91.4953)
    assert own.std == (1.0, 1.0, 1.0) and own.pixel_range == 255
    half = resolve_preprocessing("resnet50", {"preprocessing": {"mean": [0.5] * 3,
                                                                "std": [0.5] * 3}})
    assert half.name == "imagenet" and half.std == (0.5, 0.5, 0.5)
    assert resolve_preprocessing("resnet50", {"preprocessing": "vggface2"}) == VGGFACE2
    with pytest.raises(ValueError, match="unknown preprocessing"):
        resolve_preprocessing(NAME, {"preprocessing": {"scale": 2}})
    with pytest.raises(ValueError, match="channel_order"):
        resolve_preprocessing(NAME, {"preprocessing": {"channel_order": "GBR"}})


def test_embeddings_use_the_backbones_preprocessing(caplog):
    with caplog.at_level(logging.WARNING):
        model = create_backbone(NAME, {"source": "random"})
    assert "RANDOM" in caplog.text
    crops = np.random.default_rng(0).integers(0, 255, (3, 64, 64, 3)).astype(np.uint8)
    features = embed_crops(model, crops, image_size=64, batch_size=2)  # in two batches
    with torch.no_grad():
        expected = model(prepare(crops, 64, VGGFACE2)).numpy()
    assert features.shape == (3, 2048)
    np.testing.assert_allclose(features, expected, rtol=1e-3, atol=1e-2)
    # a code path that can only feed RGB 0-1 input refuses this backbone
    with pytest.raises(ValueError, match="BGR"):
        normalization(model)


def test_vggface2_backbone_takes_only_file_or_random_weights(tmp_path):
    with pytest.raises(ValueError, match="file or random"):
        create_backbone(NAME, {"source": "hub"})
    with pytest.raises(FileNotFoundError, match="resnet50_ft"):
        create_backbone(NAME, {"source": "file", "path": str(tmp_path / "missing.pkl")})


def test_paper_config_selects_the_vggface2_backbone_with_its_preprocessing():
    from pathlib import Path

    import yaml
    from snakemake.utils import validate

    root = Path(__file__).resolve().parents[1]
    paper = yaml.safe_load((root / "config/ramas_paper.yaml").read_text())
    base = yaml.safe_load((root / "config.yaml").read_text())

    def merge(a, b):  # as Snakemake merges a --configfile over config.yaml
        return {**a, **{k: merge(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict)
                        else v for k, v in b.items()}}

    merged = merge(base, paper)
    validate(merged, str(root / "workflow/schemas/config.schema.yaml"))
    rf = paper["video"]["vggf_rf"]
    assert rf["backbone"] == NAME and rf["image_size"] == 224
    assert resolve_preprocessing(rf["backbone"], rf["weights"]) == VGGFACE2
    # the cached crop is the detector box grown by 0.3 in all (0.15 per side)
    assert paper["video"]["detector"]["margin"] == pytest.approx(0.15)


def test_embedding_step_runs_the_vggface2_backbone_on_a_face_cache(tmp_path, caplog):
    from emoagree.video.embed_steps import embed_recording
    from emoagree.video.faces import FaceTrack

    rng = np.random.default_rng(0)
    crops = rng.integers(0, 255, (3, 40, 40, 3)).astype(np.uint8)
    FaceTrack(np.arange(3) * 3, np.arange(3) * 3 / 25, np.array([True, False, True]),
              np.zeros((3, 4), np.float32), np.ones(3, np.float32), crops, 25.0, 3,
              (64, 48)).save(tmp_path / "r1.npz")
    cfg = {"backbone": NAME, "weights": {"source": "random"}, "image_size": 64,
           "batch_size": 2}
    with caplog.at_level(logging.INFO):
        embed_recording(tmp_path / "r1.npz", cfg, tmp_path / "e.npz")
    assert "input preprocessing vggface2: BGR, 0-255 pixels" in caplog.text
    with np.load(tmp_path / "e.npz") as data:
        embeddings = data["embeddings"]
    assert embeddings.shape == (3, 2048)
    assert np.isnan(embeddings[1]).all() and np.isfinite(embeddings[[0, 2]]).all()
