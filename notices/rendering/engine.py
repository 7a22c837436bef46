"""Typst compilation of a template with a list of items, fitted values and forked workers."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import typst

from notices.rendering import forking
from notices.rendering.fitting import Box, fit_size, widths_for
from notices.rendering.forking import RenderError
from notices.rendering.forking import in_child as _in_child

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "notices"

# Noto Sans CJK JP for text, IPAmj Mincho for names (Debian fonts-noto-cjk,
# fonts-ipamj-mincho). Only these folders are scanned: no other font of the system is
# picked as a silent substitute.
DEFAULT_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/ipamj",
)

# Typst keeps the whole document, and its caches, in memory while it works: a file holds
# at most this many items (members), so that a forked child stays under 400 MB RSS.
ITEMS_PER_FILE = 200
# A forked child compiles up to this many files with its fonts loaded once, and takes a
# further file only while the items it has compiled stay within ITEMS_PER_CHILD and it can
# expect to stay under CHILD_RSS_LIMIT_MB (Typst keeps each file's caches): small files (a
# mailing batch's parts of ~50 members) share a child, files of 200 notices get one each,
# and no child passes 400 MB, even forked from a 210 MB Celery worker.
FILES_PER_CHILD = 4
ITEMS_PER_CHILD = ITEMS_PER_FILE
CHILD_RSS_LIMIT_MB = 390
# What a file after a child's first adds to its RSS per item, at least: measured 0.2 to
# 0.67 MB (files of 45 forked from a Celery worker; files of 200 in bench.notices).
GROWTH_PER_ITEM_MB = 0.7

Item = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FieldBox:
    """Where a template put one value, and the font size it got (points, from the top left)."""

    id: str
    key: str
    value: str
    page: int
    x: float
    y: float
    w: float
    h: float
    size: float
    max: float
    min: float
    font: list[str]
    weight: str
    fitted: bool  # sized by the renderer (else measured by the template: a header's value)


class Renderer:
    """One template, compiled with a list of items at a time.

    The compiler (fonts, parsed template) is built once: build one ``Renderer`` per template
    and process (:func:`renderer` caches them). ``render`` compiles in this process;
    ``render_files`` compiles each file in a forked child, so that Typst's caches go with the
    child and a process writing 100,000 pages stays small.
    """

    def __init__(self, template: str, *, font_paths: Sequence[str] = DEFAULT_FONT_PATHS):
        if not (TEMPLATE_DIR / template).is_file():
            raise FileNotFoundError(TEMPLATE_DIR / template)
        self.template = template
        self.font_paths = tuple(font_paths)
        # Typst reads files only below its root (links resolved): the templates are copied
        # to a folder of this process, beside the static layers compiled from them.
        self._root = Path(tempfile.mkdtemp(prefix="notices-templates-"))
        atexit.register(shutil.rmtree, self._root, True)
        for source in TEMPLATE_DIR.iterdir():
            if source.is_file():
                shutil.copyfile(source, self._root / source.name)
        self._statics: dict[str, str] = {}
        self._compiler = self._new_compiler()
        self._boxes: tuple[Box, ...] | None = None

    def _new_compiler(self, **sys_inputs: str) -> typst.Compiler:
        return typst.Compiler(
            str(self._root / self.template),
            root=str(self._root),
            font_paths=list(self.font_paths),
            ignore_system_fonts=True,
            sys_inputs=sys_inputs,
        )

    def _with_static(self, common: Mapping[str, Any] | None) -> dict[str, Any]:
        """``common`` naming the static layer (``_static``), compiled once per distinct common
        data (in a child while this process has not compiled: see ``forking``)."""
        common = dict(common or {})
        data = self._data([{}], common)
        name = self._statics.get(data)
        if name is None:
            name = f"static-{len(self._statics) + 1}.pdf"

            def compile_static() -> bytes:
                return _pdf(self._new_compiler(data=data, layer="static"))

            pdf = forking.isolated(compile_static)
            (self._root / name).write_bytes(pdf)
            self._statics[data] = name
        return {**common, "_static": name}

    @staticmethod
    def _data(items: Sequence[Item], common: Mapping[str, Any] | None) -> str:
        return json.dumps(
            {"common": dict(common or {}), "items": list(items)},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    # --- fitting -------------------------------------------------------------------------

    def field_boxes(self, items: Sequence[Item], *, common: Mapping[str, Any] | None = None):
        """Every field as the template laid ``items`` out: box, value, fitted size."""
        forking.mark_compiled()
        compiler = self._new_compiler(data=self._data(items, common), probe="1", layer="all")
        try:
            found = json.loads(compiler.query("metadata", field="value", format="json"))
        except typst.TypstError as exc:
            raise RenderError(str(exc)) from exc
        return [FieldBox(**entry) for entry in found]

    def boxes(self, sample: Item, common: Mapping[str, Any] | None = None) -> tuple[Box, ...]:
        """The template's boxes, read once from a layout of ``sample`` (cached)."""
        if self._boxes is None:
            if forking.compiled_here():
                found = self.field_boxes([sample], common=common)
            else:  # keep this process fork-safe: lay the sample out in a child
                raw = _in_child(
                    lambda: json.dumps(
                        [vars_of(b) for b in self.field_boxes([sample], common=common)]
                    ).encode()
                )
                found = [FieldBox(**entry) for entry in json.loads(raw)]
            unique: dict[str, Box] = {}
            for b in found:
                if not b.fitted and b.key not in sample:
                    continue  # not an item's value (a header's): the template measures it
                unique.setdefault(
                    b.id,
                    Box(b.id, b.key, b.w, b.h, b.max, b.min, tuple(b.font), b.weight),
                )
            self._boxes = tuple(unique.values())
        return self._boxes

    def fitted(self, items: Sequence[Item], common: Mapping[str, Any] | None) -> list[dict]:
        """The items with ``_fit``: the font size of each of their boxes."""
        if not items:
            return []
        boxes = [
            (b, widths_for(b.fonts, b.weight, self.font_paths))
            for b in self.boxes(items[0], common)
        ]
        out = []
        for item in items:
            fit = {}
            for box, widths in boxes:
                value = item.get(box.key)
                fit[box.id] = fit_size(box, "" if value is None else str(value), widths)
            out.append({**item, "_fit": fit})
        return out

    # --- output --------------------------------------------------------------------------

    def render(
        self,
        items: Sequence[Item],
        *,
        common: Mapping[str, Any] | None = None,
        reference: bool = False,
    ) -> bytes:
        """One PDF of all ``items``, compiled in this process (keep to ITEMS_PER_FILE).

        ``reference``: lay every page out in full (layer "all"), static parts included,
        instead of drawing the static layer compiled once: the plain rendering to compare.
        """
        fitted = self.fitted(items, common)
        layer = "all" if reference else "fields"
        data = self._data(fitted, common if reference else self._with_static(common))
        forking.mark_compiled()
        try:
            return _pdf(self._compiler, sys_inputs={"data": data, "layer": layer})
        except typst.TypstError as exc:
            raise RenderError(str(exc)) from exc

    def render_files(
        self,
        items: Iterable[Item],
        directory: Path,
        *,
        common: Mapping[str, Any] | None = None,
        per_file: int = ITEMS_PER_FILE,
        stem: str = "part",
    ) -> Iterator[Path]:
        """Write ``items`` as PDFs of at most ``per_file`` items each; yield each path."""
        iterator = iter(items)
        groups = (
            (f"{stem}-{number:05d}.pdf", chunk)
            for number, chunk in enumerate(iter(lambda: list(islice(iterator, per_file)), []), 1)
        )
        return self.render_groups(groups, directory, common=common)

    def render_groups(
        self,
        groups: Iterable[tuple[str, Sequence[Item]]],
        directory: Path,
        *,
        common: Mapping[str, Any] | None = None,
    ) -> Iterator[Path]:
        """Write each ``(file name, items)`` group as one PDF in ``directory``; yield each path
        once it is written, in order.

        Files are compiled in forked children, several per child (``FILES_PER_CHILD``): a
        child pays once for loading the fonts (about 90 ms: IPAmj Mincho alone is 46 MB) and
        then compiles with them warm. A child takes a further file only while its items stay
        within ``ITEMS_PER_CHILD`` and it can expect to stay under ``CHILD_RSS_LIMIT_MB``
        (Typst keeps each file's caches; see ``_compile_files``), and exits,
        taking Typst's memory with it. In a process that has already compiled in-process (see
        ``forking.compiled_here``), files are compiled here instead.
        """
        directory.mkdir(parents=True, exist_ok=True)
        static_common = self._with_static(common)
        pending: list[tuple[Path, str, int]] = []
        for name, items in groups:
            # Fitted in the parent: the font widths stay cached from file to file.
            data = self._data(self.fitted(items, common), static_common)
            pending.append((directory / name, data, len(items)))
            if len(pending) == FILES_PER_CHILD:
                yield from self._write(pending)
                pending = []
        yield from self._write(pending)

    def _write(self, files: list[tuple[Path, str, int]]) -> Iterator[Path]:
        """Compile ``files`` (path, data, items) in as few children as their memory allows."""
        while files:
            if forking.compiled_here():
                done = self._compile_files(files, rss_limit_mb=None)
            else:
                done = int(_in_child(functools.partial(self._compile_in_child, files)))
            yield from (path for path, _data, _items in files[:done])
            files = files[done:]

    def _compile_in_child(self, files: list[tuple[Path, str, int]]) -> bytes:
        return str(self._compile_files(files, rss_limit_mb=CHILD_RSS_LIMIT_MB)).encode()

    def _compile_files(
        self, files: list[tuple[Path, str, int]], *, rss_limit_mb: float | None
    ) -> int:
        """Compile and write ``files`` in order; the number written (at least one).

        With ``rss_limit_mb`` (in a child), stop before a file that would take the items
        compiled here past ITEMS_PER_CHILD, or that could take this process's RSS past the
        limit. A further file is expected to add, per item, as much as the most any file
        after the first did, and at least GROWTH_PER_ITEM_MB: the first file's growth is
        mostly the fonts and Typst's start (about 120 MB, whatever its size)."""
        per_item = GROWTH_PER_ITEM_MB
        compiled = 0
        for done, (path, data, items) in enumerate(files, 1):
            before = _rss_mb()
            try:
                pdf = _pdf(self._compiler, sys_inputs={"data": data, "layer": "fields"})
            except typst.TypstError as exc:
                raise RenderError(str(exc)) from exc
            path.write_bytes(pdf)
            after = _rss_mb()
            if done > 1 and items:
                per_item = max(per_item, (after - before) / items)
            compiled += items
            if rss_limit_mb is None or done == len(files):
                continue
            following = files[done][2]
            if (
                compiled + following > ITEMS_PER_CHILD
                or after + per_item * following > rss_limit_mb
            ):
                return done
        return len(files)


def _pdf(compiler: typst.Compiler, **inputs: Any) -> bytes:
    """The compiler's document as one PDF (Typst returns a list only for image formats)."""
    pdf = compiler.compile(format="pdf", pdf_tags=False, **inputs)
    assert isinstance(pdf, bytes)
    return pdf


def _rss_mb() -> float:
    """This process's resident set size now, in MB (Linux; 0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def vars_of(box: FieldBox) -> dict[str, Any]:
    return {name: getattr(box, name) for name in FieldBox.__slots__}


@functools.cache
def renderer(template: str) -> Renderer:
    """The process's renderer of ``template`` (fonts loaded once per process)."""
    return Renderer(template)
