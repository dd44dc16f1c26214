import pytest

from rag.backends import PROVIDERS, make_chat_model, parse_spec
from rag.config import load_settings
from rag.errors import ModelError


@pytest.fixture
def settings(tmp_path):
    return load_settings(project_root=tmp_path, env={})


def test_spec_parsing_and_unknown_provider(settings):
    assert parse_spec("local:qwen2.5-1.5b") == ("local", "qwen2.5-1.5b")
    with pytest.raises(ModelError, match="provider:model"):
        parse_spec("qwen")
    with pytest.raises(ModelError, match="unknown model provider 'nope'; available: .*fake.*local.*openai"):
        make_chat_model(settings, "nope:x")


def test_local_model_path_must_exist(settings):
    with pytest.raises(ModelError, match="neither bundled"):
        make_chat_model(settings, "local:/does/not/exist.gguf")


def test_openai_needs_a_key_or_base_url(settings):
    with pytest.raises(ModelError, match="RAG_OPENAI_BASE_URL"):
        make_chat_model(settings, "openai:gpt-4o-mini")


def test_openai_key_and_url_come_from_the_settings(tmp_path):
    env = {"OPENAI_API_KEY": "sk-conventional", "RAG_OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    settings = load_settings(project_root=tmp_path, env=env)
    assert "sk-conventional" not in repr(settings)  # a secret never shows in logs or errors
    model = make_chat_model(settings, "openai:some-model")
    assert model.openai_api_key.get_secret_value() == "sk-conventional"
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    ollama = load_settings(project_root=tmp_path, env={"OLLAMA_HOST": "http://127.0.0.1:1"})
    assert ollama.ollama_host == "http://127.0.0.1:1"


def test_fake_model_streams_the_scripted_reply(settings):
    model = make_chat_model(settings, "fake:Hello there [1].")
    assert "".join(c.content for c in model.stream("hi")) == "Hello there [1]."


def test_builtin_providers():
    assert {"local", "openai", "ollama", "huggingface", "fake"} <= set(PROVIDERS.names())


def test_failure_messages_never_carry_credentials(tmp_path):
    from rag.backends import explain_failure

    settings = load_settings(project_root=tmp_path, env={"OPENAI_API_KEY": "zz-configured-key"})
    body = (
        'Error 500: {"echo": {"authorization": "Bearer zz-configured-key"}, "api_key": "other-1", "k": "sk-abcdefgh12"}'
    )
    message = explain_failure(RuntimeError(body), "openai:m", settings)
    assert "500" in message  # the server's own words still reach the user
    for secret in ("zz-configured-key", "other-1", "sk-abcdefgh12"):
        assert secret not in message
    assert len(explain_failure(RuntimeError("x" * 5000), "openai:m", settings)) < 400


def test_renamed_client_errors_are_still_recognised(tmp_path):
    from rag.backends import explain_failure

    settings = load_settings(project_root=tmp_path, env={})
    forbidden = type("OpenAIPermissionDeniedError", (Exception,), {})("Error code: 403 - forbidden")
    assert "rejected the API key" in explain_failure(forbidden, "openai:m", settings)
    missing = type("OpenAINotFoundError", (Exception,), {})("no such model")
    assert "does not know this model" in explain_failure(missing, "openai:m", settings)


@pytest.mark.parametrize(("env", "repacked"), [({}, False), ({"RAG_REPACK_WEIGHTS": "1"}, True)])
def test_llama_cpp_keeps_one_copy_of_the_weights_unless_asked(tmp_path, monkeypatch, env, repacked):
    """Repacked weights are a second copy in memory (measured +0.6 GB and slower on 2 cores): off by
    default, on when the settings ask."""
    import xllamacpp

    from rag.backends import start_llama_server

    seen = []
    monkeypatch.setattr(xllamacpp, "Server", lambda params: seen.append(params) or "server")
    settings = load_settings(project_root=tmp_path, env=env)
    assert start_llama_server(tmp_path / "model.gguf", settings, "key") == "server"
    (params,) = seen
    assert params.no_extra_bufts is (not repacked)
    assert (params.n_parallel, params.cpuparams.n_threads) == (settings.model_slots, settings.threads)
