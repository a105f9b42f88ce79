"""Content-Encoding decoders whose output per step is bounded.

httpx decodes a whole network chunk in one call, so a 64 KiB chunk of a
compression bomb could expand to gigabytes before any size check runs. These
decoders yield about ``CHUNK_SIZE`` bytes per step at most, which lets the reader stop
as soon as the decoded body passes its limit.
"""

import logging
import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024


class DecodingFailed(Exception):
    """The body does not decode with the Content-Encoding it declares."""

    def __init__(self, encoding: str) -> None:
        super().__init__(encoding)
        self.encoding = encoding


class Decoder(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class IdentityDecoder:
    def decode(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        return iter(())


class ZlibDecoder:
    """Decoder of ``gzip`` and of ``deflate`` with or without the zlib wrapper.

    RFC 9110 section 8.4.1.2 defines ``deflate`` as the zlib format, but some
    servers send a raw deflate stream. The first two bytes tell them apart.
    """

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._header = b""

        # A deflate decompressor is made once the first two bytes have arrived.
        self._decompressor = None
        if encoding == "gzip":
            self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._decompressor is None:
            self._header += data
            if len(self._header) < 2:
                return

            data, self._header = self._header, b""
            self._decompressor = zlib.decompressobj(_deflate_window_bits(data))

        yield from self._drain(data)

    def flush(self) -> Iterator[bytes]:
        if self._decompressor is None:
            if self._header:
                raise DecodingFailed(self._encoding)
            return

        try:
            tail = self._decompressor.flush()
        except zlib.error as exc:
            raise DecodingFailed(self._encoding) from exc

        if tail:
            yield tail

    def _drain(self, data: bytes) -> Iterator[bytes]:
        decompressor = self._decompressor
        while not decompressor.eof:
            try:
                piece = decompressor.decompress(data, CHUNK_SIZE)
            except zlib.error as exc:
                raise DecodingFailed(self._encoding) from exc

            if piece:
                yield piece

            # A full piece may leave output pending even when all input is used.
            data = decompressor.unconsumed_tail
            if not data and len(piece) < CHUNK_SIZE:
                return


def _deflate_window_bits(header: bytes) -> int:
    """Return zlib window bits for a zlib-wrapped or a raw deflate stream."""
    method_and_flags = header[0] * 256 + header[1]
    is_zlib_header = header[0] & 0x0F == 8 and method_and_flags % 31 == 0
    return zlib.MAX_WBITS if is_zlib_header else -zlib.MAX_WBITS


class BrotliDecoder:
    """Decoder of ``br``.

    A piece may pass ``CHUNK_SIZE`` by up to about half (98,272 bytes measured
    with Brotli 1.2.0), because the brotli module checks its limit only after
    it has grown its output buffer.
    """

    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._decompressor.is_finished():
            return

        # With an output limit the decompressor keeps the rest of the output
        # back until it is called again with empty input.
        piece = self._process(data)
        while piece:
            yield piece
            if self._decompressor.is_finished():
                return
            piece = self._process(b"")

    def flush(self) -> Iterator[bytes]:
        return self.decode(b"")

    def _process(self, data: bytes) -> bytes:
        try:
            return self._decompressor.process(data, output_buffer_limit=CHUNK_SIZE)
        except brotli.error as exc:
            raise DecodingFailed("br") from exc


class ChainDecoder:
    """Decoder of several encodings, undone in the reverse of the listed order."""

    def __init__(self, decoders: list[Decoder]) -> None:
        self._decoders = decoders

    def decode(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, self._decoders[0].decode(data))

    def flush(self) -> Iterator[bytes]:
        for index, decoder in enumerate(self._decoders):
            yield from self._through(index + 1, decoder.flush())

    def _through(self, index: int, pieces: Iterator[bytes]) -> Iterator[bytes]:
        if index == len(self._decoders) - 1:
            yield from pieces
            return

        for piece in pieces:
            yield from self._through(index + 1, self._decoders[index + 1].decode(piece))


def make_decoder(content_encoding: str | None) -> Decoder:
    """Return a decoder for a Content-Encoding header value.

    An encoding other than gzip, x-gzip, deflate, br and identity is passed
    through undecoded, as httpx does, and logged.
    """
    names = [name.strip().lower() for name in (content_encoding or "").split(",")]
    decoders = [_decoder_for(name) for name in reversed(names) if name]
    decoders = [decoder for decoder in decoders if decoder is not None]

    if not decoders:
        return IdentityDecoder()

    if len(decoders) == 1:
        return decoders[0]

    return ChainDecoder(decoders)


def _decoder_for(name: str) -> Decoder | None:
    if name in ("gzip", "x-gzip"):
        return ZlibDecoder("gzip")

    if name == "deflate":
        return ZlibDecoder("deflate")

    if name == "br":
        return BrotliDecoder()

    if name != "identity":
        logger.info(
            "Unsupported content encoding left undecoded", extra={"encoding": name}
        )

    return None
