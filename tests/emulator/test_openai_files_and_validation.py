"""OpenAI files, and input validation that fails a batch after `validating` (as the real API does)."""

from __future__ import annotations

import openai
import pytest
from openai.types import FileDeleted, FileObject

from tests.emulator.helpers import DAY, HOUR, START, chat_line, jsonl, openai_batch


def test_files_upload_retrieve_content_list_and_delete(oai):
    data = jsonl([chat_line(i) for i in range(3)])
    f = oai.files.create(file=("input.jsonl", data), purpose="batch")
    assert isinstance(f, FileObject)
    assert f.id.startswith("file-") and f.object == "file" and f.purpose == "batch"
    assert f.bytes == len(data) and f.filename == "input.jsonl" and f.status == "processed"
    assert f.created_at == int(START) and f.expires_at == f.created_at + 30 * DAY
    assert oai.files.retrieve(f.id) == f
    assert oai.files.content(f.id).read() == data
    assert f.id in [x.id for x in oai.files.list()]
    gone = oai.files.delete(f.id)
    assert isinstance(gone, FileDeleted) and gone.deleted is True and gone.id == f.id
    with pytest.raises(openai.NotFoundError):
        oai.files.retrieve(f.id)
    with pytest.raises(openai.NotFoundError):
        oai.files.content(f.id)


def test_upload_honours_expires_after_and_rejects_non_jsonl_batch_files(emulator, oai):
    f = oai.files.create(file=("x.jsonl", b"{}"), purpose="batch",
                         expires_after={"anchor": "created_at", "seconds": 3600})
    assert f.expires_at == f.created_at + 3600
    emulator.advance(HOUR + 1)
    with pytest.raises(openai.NotFoundError):
        oai.files.retrieve(f.id)
    with pytest.raises(openai.BadRequestError):
        oai.files.create(file=("x.csv", b"a,b"), purpose="batch")


def test_output_files_are_batch_output_files_that_expire_with_output_expires_after(emulator, oai):
    b = openai_batch(oai, 3, output_expires_after={"anchor": "created_at", "seconds": 7200})
    emulator.advance(1200)  # a 3-item batch is done within 20 minutes
    b = oai.batches.retrieve(b.id)
    out = oai.files.retrieve(b.output_file_id)
    assert out.purpose == "batch_output" and out.bytes == len(oai.files.content(out.id).read())
    assert out.created_at == b.completed_at and out.expires_at == out.created_at + 7200
    emulator.advance(7200)
    with pytest.raises(openai.NotFoundError):
        oai.files.content(b.output_file_id)


def _failed(emulator, oai, **kwargs):
    b = openai_batch(oai, **kwargs)
    assert b.status == "validating"  # create itself succeeds
    emulator.advance(HOUR)
    b = oai.batches.retrieve(b.id)
    assert b.status == "failed" and b.failed_at is not None and b.in_progress_at is None
    assert b.output_file_id is None and b.error_file_id is None
    assert b.request_counts.total == 0
    return b.errors.data


def test_bad_jsonl_fails_the_batch_with_invalid_json_line(emulator, oai):
    errors = _failed(emulator, oai, lines=[chat_line(0), "{not json", chat_line(2)])
    assert errors[0].code == "invalid_json_line" and errors[0].line == 2


def test_duplicate_custom_id_fails_the_batch(emulator, oai):
    errors = _failed(emulator, oai, lines=[chat_line(0), chat_line(1), chat_line(0)])
    assert [(e.code, e.line) for e in errors] == [("duplicate_custom_id", 3)]


def test_wrong_url_model_mix_and_empty_file_fail_the_batch(emulator, oai):
    wrong_url = {**chat_line(1), "url": "/v1/embeddings"}
    assert _failed(emulator, oai, lines=[chat_line(0), wrong_url])[0].code == "url_mismatch"
    assert _failed(emulator, oai, lines=[chat_line(0), chat_line(1, model="gpt-6-sol")])[0].code == "model_mismatch"
    assert _failed(emulator, oai, lines=[])[0].code == "empty_file"


def test_over_the_request_limit_fails_with_too_many_tasks(emulator, oai):
    errors = _failed(emulator, oai, n=6, metadata={"emulator_max_requests": "5"})
    assert errors[0].code == "too_many_tasks"


def test_enqueued_token_overflow_fails_after_create_succeeded(emulator, oai):
    errors = _failed(emulator, oai, n=3, metadata={"emulator_token_limit": "true"})
    assert errors[0].code == "token_limit_exceeded"
    assert "Enqueued token limit reached" in errors[0].message


def test_oversized_upload_is_refused(emulator, oai):
    emulator.set_faults(max_bytes=100)
    with pytest.raises(openai.BadRequestError):
        oai.files.create(file=("big.jsonl", b"x" * 101), purpose="batch")


def test_unknown_fault_knob_in_metadata_is_a_400(oai):
    with pytest.raises(openai.BadRequestError):
        openai_batch(oai, 1, metadata={"emulator_no_such_knob": "1"})
