"""Copied wording: the passage fingerprints of one index version as numpy arrays, and LSH look-ups.

Built once per index version from the Whoosh column indexer.schema.FINGERPRINTS (only live
documents), like the facet arrays. Candidates come from LSH banding (indexer.fingerprints: BANDS
bands of ROWS rows; a sorted array of band keys per band, looked up with searchsorted); a candidate
counts when its estimated similarity reaches THRESHOLD.

Originality of a section: the share of its fingerprinted text (normalised characters) whose
passages have no near-duplicate in a report of another issuer. A town repeating its own last year
is not copying; the same paragraph in another town's report is. Sections without fingerprinted
passages have no originality (NaN).
"""

from __future__ import annotations

import threading

import numpy as np

from indexer import fingerprints as fp
from indexer import schema as f

_CHUNK = 65536  # passages compared per numpy step in the whole-index originality pass


class CopyArrays:
    """Every live passage of one index version: where it is, its signature and its LSH band keys."""

    def __init__(self, reader, facets):
        count = reader.doc_count_all()
        live = facets.live
        values, owners = [], []
        docnum = 0
        for leaf, _offset in reader.leaf_readers():
            size = leaf.doc_count_all()
            if leaf.has_column(f.FINGERPRINTS):
                column = leaf.column_reader(f.FINGERPRINTS)
                for local in range(size):
                    if live[docnum + local]:
                        value = column[local]
                        if value:
                            values.append(value)
                            owners.append(docnum + local)
            docnum += size
        # One decode of all values joined: per-document numpy calls would dominate at 10,000 reports.
        part, line, chars, signatures = fp.decode(b"".join(values))
        counts = np.array([len(value) for value in values], dtype=np.int64) // fp.ROW_BYTES
        self.doc = np.repeat(np.array(owners, dtype=np.int32), counts)  # ascending docnums
        self.part, self.line, self.chars, self.signatures = part, line, chars, signatures
        self.report = facets.codes[f.REPORT_ID][self.doc]
        self.owner = _owner_codes(facets)[self.doc]
        keys = fp.band_hashes(self.signatures)
        self.band_order = [np.argsort(keys[:, band], kind="stable").astype(np.int32) for band in range(fp.BANDS)]
        self.band_keys = [keys[order, band] for band, order in enumerate(self.band_order)]
        self.keys = keys
        self.doc_count = count
        self._originality: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return sum(array.nbytes for array in (self.doc, self.part, self.line, self.chars, self.signatures,
                                              self.report, self.owner, self.keys, *self.band_order,
                                              *self.band_keys))

    def passages_of(self, docnum: int) -> np.ndarray:
        """Return the indices of a section document's passages."""
        low, high = np.searchsorted(self.doc, [docnum, docnum + 1])
        return np.arange(low, high)

    def candidates(self, keys: np.ndarray) -> np.ndarray:
        """Return the passages sharing at least one band key with the given (BANDS,) keys."""
        found = []
        for band in range(fp.BANDS):
            sorted_keys = self.band_keys[band]
            low = np.searchsorted(sorted_keys, keys[band], side="left")
            high = np.searchsorted(sorted_keys, keys[band], side="right")
            if high > low:
                found.append(self.band_order[band][low:high])
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int32)

    def near(self, signature: np.ndarray, keys: np.ndarray, *, exclude_report: int = -1
             ) -> tuple[np.ndarray, np.ndarray]:
        """Return (passages, similarities) of the near-duplicates of one signature, other reports only."""
        found = self.candidates(keys)
        if exclude_report >= 0:
            found = found[self.report[found] != exclude_report]
        if not len(found):
            return found, np.zeros(0)
        similarity = fp.similarity(signature, self.signatures[found])
        keep = similarity >= fp.THRESHOLD
        return found[keep], similarity[keep]

    def originality(self) -> np.ndarray:
        """Return per docnum the share of a section's text not found in other issuers' reports (NaN: none)."""
        with self._lock:
            if self._originality is None:
                self._originality = self._compute_originality()
            return self._originality

    def _compute_originality(self) -> np.ndarray:
        count = len(self.doc)
        copied = np.zeros(count, dtype=bool)
        for band in range(fp.BANDS):
            order = self.band_order[band]
            keys = self.band_keys[band]
            if count < 2:
                break
            # Groups of equal band keys; within each, a passage is checked against the group's first
            # member, or (when that one has the same issuer) the first member of another issuer.
            starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
            sizes = np.diff(np.r_[starts, count])
            multi = sizes > 1
            if not multi.any():
                continue
            group = np.repeat(np.arange(len(starts)), sizes)
            owner = self.owner[order]
            first_owner = owner[starts][group]
            position = np.arange(count)
            other = np.where(owner != first_owner, position, count)
            second = np.minimum.reduceat(other, starts)  # first member of another issuer, or count
            partner_position = np.where(owner != first_owner, starts[group], second[group])
            todo = np.flatnonzero(multi[group] & (partner_position < count) & ~copied[order])
            for chunk in range(0, len(todo), _CHUNK):
                at = todo[chunk:chunk + _CHUNK]
                mine = order[at]
                theirs = order[partner_position[at]]
                similar = (self.signatures[mine] == self.signatures[theirs]).mean(axis=1) >= fp.THRESHOLD
                copied[mine[similar]] = True
        total = np.bincount(self.doc, weights=self.chars, minlength=self.doc_count)
        original = np.bincount(self.doc, weights=np.where(copied, 0, self.chars), minlength=self.doc_count)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, original / np.maximum(total, 1), np.nan)


def _owner_codes(facets) -> np.ndarray:
    """Return per docnum a code of who wrote it: issuer and place, or the report itself if unknown."""
    issuer = facets.codes[f.ISSUER]
    report = facets.codes[f.REPORT_ID]
    empty = [code for code, value in enumerate(facets.values[f.ISSUER]) if not value]
    unknown = np.isin(issuer, empty)
    rows = np.stack([np.where(unknown, -1 - report, issuer), facets.codes[f.PROVINCE], facets.codes[f.CITY],
                     facets.codes[f.COUNTY]], axis=1)
    if not len(rows):
        return np.zeros(0, dtype=np.int32)
    return np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int32)
