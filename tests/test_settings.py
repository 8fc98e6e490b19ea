import pytest

from bff.settings import Settings, SettingsError, load_settings


def test_environment_values_are_typed():
    settings = load_settings(
        {
            "REPCHAT_SECRET_KEYS": "old, new",
            "REPCHAT_ALLOWED_ORIGINS": "https://a.example,http://localhost:*",
            "REPCHAT_TOKEN_TTL": "60",
            "REPCHAT_HEARTBEAT": "2.5",
        }
    )
    assert settings.secret_keys == ("old", "new")
    assert settings.allowed_origins == ("https://a.example", "http://localhost:*")
    assert settings.token_ttl == 60 and settings.heartbeat == 2.5


def test_environment_overrides_the_toml_file(tmp_path):
    config = tmp_path / "repchat.toml"
    config.write_text('upstream_url = "https://file.example"\nsecret_keys = ["k1"]\nmax_streams = 7\n')
    settings = load_settings({"REPCHAT_CONFIG": str(config), "REPCHAT_UPSTREAM_URL": "https://env.example"})
    assert settings.upstream_url == "https://env.example"
    assert settings.secret_keys == ("k1",) and settings.max_streams == 7


def test_bad_values_name_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="REPCHAT_TOKEN_TTL"):
        load_settings({"REPCHAT_TOKEN_TTL": "soon"})
    config = tmp_path / "bad.toml"
    config.write_text('upstream = "x"\n')
    with pytest.raises(SettingsError, match="unknown settings.*upstream"):
        load_settings({}, config)


def test_secrets_stay_out_of_repr():
    text = repr(Settings(upstream_api_key="sk-live-123", secret_keys=("s3cr3t",)))
    assert "sk-live-123" not in text and "s3cr3t" not in text
