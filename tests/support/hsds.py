"""The Open Referral HSDS sample (tests/fixtures/hsds-sample/, see its SOURCE.md) as the
importDirectory argument takes it, and exported packages read back."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

SAMPLE = Path(__file__).parents[1] / "fixtures" / "hsds-sample"


def zipped(files: dict[str, str | bytes], folder: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(f"{folder}{name}", content)
    return out.getvalue()


def data_url(data: bytes, media_type: str = "application/zip") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def sample_files() -> dict[str, str | bytes]:
    return {p.name: p.read_bytes() for p in sorted(SAMPLE.iterdir()) if p.name != "SOURCE.md"}


def sample_zip(folder: str = "hsds-sample/") -> str:
    """The sample as one zip (its files in a folder, as a download unpacks), as a data URL."""
    return data_url(zipped(sample_files(), folder))


def unzip_data_url(url: str) -> dict[str, str]:
    data = base64.b64decode(url.split(",", 1)[1])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
