"""`dreambot-worker`'s choice of networks: `--model NAME[=SOURCE]`, repeatable, else
InceptionV3 with `--weights` (the worker loads the first at start-up, the rest on demand)."""
from __future__ import annotations

import pytest

from dreaming.worker import _offered, _parser


def offered(*argv: str) -> dict[str, str | None]:
    args = _parser().parse_args(list(argv))
    return _offered(args.models, args.weights)


def test_without_models_the_workers_offer_inception_with_their_weights():
    assert offered() == {"inception_v3": "inception-2015"}
    assert offered("--weights", "imagenet") == {"inception_v3": "imagenet"}


def test_models_are_offered_in_order_each_with_its_weights_or_its_usual_ones():
    assert offered("--model", "vgg16=/w/vgg16.weights.h5", "--model", "inception_v3") == {
        "vgg16": "/w/vgg16.weights.h5", "inception_v3": None}
    assert list(offered("--model", "vgg16", "--model", "inception_v3")) == ["vgg16", "inception_v3"]


def test_an_unknown_network_is_refused_naming_the_known_ones(capsys):
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["--model", "resnet50"])
    assert exited.value.code == 2
    assert "unknown network 'resnet50': one of inception_v3, vgg16" in capsys.readouterr().err
