"""Evaluation and utility jobs for the GUI and the CLI: FID/KID/PRDC, t-SNE, generation, devices."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from mammostudio.core.progress import Job, Progress

__all__ = ["cuda_devices", "presets", "warm_up", "weights_status", "generate_job", "fid_job", "tsne_job"]


def cuda_devices() -> list[dict]:
    """CUDA devices as ``{'name': 'cuda:0', 'label': 'NVIDIA H100 (79.6 GiB)', 'memory_gib': ...}``."""
    import torch

    out = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            gib = p.total_memory / 2**30
            out.append({"name": f"cuda:{i}", "label": f"cuda:{i} - {p.name} ({gib:.1f} GiB)", "memory_gib": gib})
    return out


def presets() -> dict:
    """The config presets by run kind, plus the devices: what the GUI's run form offers.

    Returns
    -------
    dict
        ``{'gan': {'paper': GANConfig, 'published code': ..., 'tiny': ...},
        'classifier': {'paper': ..., 'tiny': ...}, 'experiment': {...}, 'devices': [...]}``
    """
    from ..classifier import ClassifierConfig
    from ..dcgan import GANConfig
    from ..experiment import ExperimentConfig

    warm_up()

    return {"gan": {"paper": GANConfig.paper(), "paper small-data": GANConfig.paper_small_data(),
                    "published code": GANConfig.published_code(), "tiny": GANConfig.tiny()},
            "classifier": {"paper": ClassifierConfig.paper(), "published code": ClassifierConfig.published_code(),
                           "tiny": ClassifierConfig.tiny()},
            "experiment": {"paper": ExperimentConfig.paper(), "tiny": ExperimentConfig.tiny()},
            "devices": cuda_devices()}


def warm_up() -> None:
    """Import what torch and the trainers otherwise import on a run's first step.

    The first optimiser pulls in ``torch._dynamo`` (and with it sympy: about
    800 modules, seconds, partly holding the GIL); done here, while the GUI
    shows "loading the trainers", it cannot stall a live monitor later.
    Then the long-lived objects of all those modules are moved out of the
    garbage collector's view (``gc.freeze``): a full collection over them
    took 0.3-0.8 s on a loaded 2-core machine, holding the GIL, i.e. freezing
    every thread including a GUI's.
    """
    import gc

    # No collection may run on this worker thread: it could free Qt wrappers
    # off the GUI thread, which deadlocked with a painting GUI thread (seen in
    # the test suite while this import ran). The collector is off for the
    # import (process-wide, a few seconds) and the imported modules are frozen.
    gc.disable()
    try:
        import PIL.Image  # noqa: F401 - sample grids are written as PNG
        import torch._dynamo  # noqa: F401
    finally:
        gc.freeze()
        gc.enable()


def weights_status(kind: str, weights=None) -> tuple[bool, str]:
    """(True, path) when ``kind``'s Inception weights are found, else (False, guidance text)."""
    from ..metrics.weights import MissingWeightsError, find_weights

    if kind in ("random", "tiny"):
        return True, "random features: not FID, not comparable to published numbers"
    try:
        return True, str(find_weights(kind, weights))
    except MissingWeightsError as exc:
        return False, str(exc)


def generate_job(checkpoint, out_dir, n: int, seed: int = 0, *, device: str = "cpu") -> Job[Path]:
    """Write ``n`` generated PNGs + ``manifest.json`` into ``out_dir``; return ``out_dir``."""
    from ..dcgan import generate_images

    yield Progress(0, 1, f"generating {n} images from {Path(checkpoint).name}")
    generate_images(checkpoint, out_dir, n, seed, device=device)
    yield Progress(1, 1, f"{n} images in {out_dir}")
    return Path(out_dir)


def _first_size(folder: Path) -> int:
    """Side of a folder's first image: a patch dataset's first lesion patch, else its first PNG."""
    from mammostudio.core.images import read_png
    from mammostudio.core.patches import INDEX_NAME, read_index, read_patch

    if (folder / INDEX_NAME).is_file():
        lesions = read_index(folder).query("kind == 'lesion'")
        if len(lesions):
            return int(read_patch(folder, lesions.iloc[0]).shape[0])
    first = next(iter(sorted(folder.rglob("*.png"))), None)
    if first is None:
        raise ValueError(f"{folder}: no PNG images")
    return int(read_png(first).shape[0])


def _generated(source, n: int, seed: int, size: int | None) -> np.ndarray:
    """Images from a folder of PNGs, or ``n`` samples of a checkpoint (.pt)."""
    from mammostudio.core.patches import load_patches

    source = Path(source)
    if source.is_file():
        import torch

        from ..dcgan.generate import load_generator, sample_generator

        gen = load_generator(source)
        return sample_generator(gen, n, generator=torch.Generator().manual_seed(seed))
    images, _ = load_patches(source, "lesion", size=size or _first_size(source), cache=False)
    return np.asarray(images[:n])


def _backbone(kind: str, weights, device: str):
    from ..metrics import load_backbone
    from ..metrics.features import tiny_backbone

    return tiny_backbone(device=device) if kind == "tiny" else load_backbone(kind, weights, device=device)


def fid_job(generated, real, *, kind: str = "lesion", backbone: str = "standard", weights=None,
            n: int = 2000, seed: int = 0, with_prdc: bool = True, device: str = "cpu") -> Job[dict]:
    """FID, KID and PRDC of generated images against real patches, with the backbone's label.

    Parameters
    ----------
    generated : path-like
        A folder of generated PNGs or a generator checkpoint (``n`` samples, ``seed``).
    real : path-like
        A patch dataset (its ``kind`` patches) or PNG folder.
    backbone : {'standard', 'authors', 'random', 'tiny'}
        'tiny' is the metrics' tiny stand-in extractor (not FID; tests, dry runs).

    Returns
    -------
    dict
        ``label``, ``backbone``, ``is_fid``, ``fid``, ``floor`` (real-vs-real at
        N/2), ``kid``, ``kid_std``, ``precision``, ``recall``, ``density``,
        ``coverage``, ``n_real``, ``n_fake``.

    Raises
    ------
    MissingWeightsError
        The message says which weight file to put where.
    """
    from mammostudio.core.patches import load_patches

    from ..metrics import frechet_distance_features, kid, prdc, real_reference
    from ..metrics.features import iter_features

    yield Progress(0, None, f"loading the {backbone} backbone")
    net = _backbone(backbone, weights, device)
    fake = _generated(generated, n, seed, None)
    size = int(fake.shape[1])
    real_images, _ = load_patches(real, kind, size=size)
    if len(real_images) < 4 or len(fake) < 4:
        raise ValueError(f"need at least 4 real and 4 generated images, got {len(real_images)} and {len(fake)}")
    ref = yield from real_reference(np.asarray(real_images), net, n=n, seed=seed, batch_size=50)
    feats = yield from iter_features(fake[:n], net, batch_size=50)
    km, ks = kid(ref.features, feats, rng=np.random.default_rng(seed))
    out = {**net.record(),
           "fid": frechet_distance_features(ref.features, feats), "floor": ref.floor, "kid": km, "kid_std": ks,
           "n_real": int(ref.n), "n_fake": int(len(feats))}
    if with_prdc:
        k = min(5, len(feats) - 1, ref.n - 1)
        out.update(prdc(ref.features, feats, k_pr=min(3, k), k_dc=k))
    return out


def tsne_job(real, generated=None, *, tissue: bool = True, n: int = 300, preset: str = "paper",
             perplexity: float | None = None, max_iter: int | None = None, pca: int | None = None,
             seed: int = 0) -> Job[dict]:
    """t-SNE of real lesion patches, generated patches and (optionally) tissue patches.

    Groups are labelled 'real', 'generated', 'tissue' (paper Figures 10-11).
    Each group is a seeded random subset of at most ``n`` patches. Settings
    come from :data:`trainers.metrics.tsne.TSNE_PRESETS` (``preset`` 'paper'
    or the labelled 'fast' preview); a perplexity too large for the number
    of patches is lowered and the result's ``attrs`` say so
    (``perplexity_requested``, ``note``).

    Returns
    -------
    dict
        ``x``, ``y`` (float arrays), ``label`` (list), ``patches`` (uint8 stack
        in the same order, for hover), ``attrs`` (seconds, perplexity, ...).
    """
    from mammostudio.core.patches import load_patches

    from ..metrics import tsne_map
    from ..metrics.tsne import tsne_settings

    settings = tsne_settings(preset, perplexity=perplexity, max_iter=max_iter, pca=pca)
    yield Progress(0, 2, "loading patches")
    rng = np.random.default_rng(seed)
    size = _first_size(Path(generated)) if generated is not None and Path(generated).is_dir() else None
    real_images, _ = load_patches(real, "lesion", size=size or 128)
    size = size or int(real_images.shape[1])
    groups = {"real": np.asarray(real_images)}
    if generated is not None:
        groups["generated"] = _generated(generated, n, seed, size)
    if tissue:
        t, _ = load_patches(real, "tissue", size=size)
        if len(t):
            groups["tissue"] = np.asarray(t)
    groups = {k: v[np.sort(rng.choice(len(v), size=min(n, len(v)), replace=False))] for k, v in groups.items()
              if len(v)}
    total = sum(len(v) for v in groups.values())
    asked = settings["perplexity"]
    perplexity = min(asked, max(2.0, (total - 1) / 3))
    note = (f"perplexity lowered from {asked:g} to {perplexity:g}: only {total} patches "
            "(t-SNE needs perplexity < n / 3)") if perplexity < asked else ""
    pca = settings["pca"]
    pca = None if pca is None or pca >= min(total, size * size) else pca
    yield Progress(1, 2, f"t-SNE of {total} patches, {settings['label']}" + (f"; {note}" if note else ""))
    df = tsne_map(groups, perplexity=perplexity, max_iter=max(250, settings["max_iter"]), pca=pca, seed=seed)
    df.attrs.update(settings=settings["label"], perplexity_requested=asked, note=note)
    yield Progress(2, 2, f"t-SNE done in {df.attrs['seconds']:.1f} s")
    return {"x": df["x"].to_numpy(), "y": df["y"].to_numpy(), "label": df["label"].tolist(),
            "patches": np.concatenate(list(groups.values())), "attrs": dict(df.attrs)}
