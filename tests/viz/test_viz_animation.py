"""The flow animation: frames over the routing graph, saved as a GIF with pillow."""

from __future__ import annotations

from amqpsim import viz


def test_animation_saves_a_gif(store, tmp_path):
    anim = viz.flow_animation(store, end=6, frames=6)
    path = tmp_path / "flow.gif"
    anim.save(path, writer="pillow", fps=4, dpi=50)
    assert path.stat().st_size > 1000
    from PIL import Image

    with Image.open(path) as im:
        assert im.n_frames == 7


def test_dots_move(store):
    anim = viz.flow_animation(store, end=6, frames=6)
    artists = anim._func(3)
    dots = artists[0]
    assert len(dots.get_offsets()) > 0
    assert artists[1].get_text().startswith("t = ")
    anim._draw_was_started = True  # not shown: silence matplotlib's "deleted without rendering" warning
