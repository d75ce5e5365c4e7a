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


def test_player_needs_no_network(store):
    """matplotlib's player links an icon font from a CDN; ours draws the icons inline."""
    from amqpsim.viz.animation import player_html

    anim = viz.flow_animation(store, end=6, frames=2)
    page = player_html(anim)
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert 'class="fa' not in page
    assert page.count("<button") == page.count("<svg") == 9
    assert page.count("data:image/png;base64,") == 3
    assert anim._repr_html_() == page  # a notebook shows the same offline player
