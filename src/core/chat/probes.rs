//! The conversations `chat-template check` renders with both engines: the
//! shapes templates branch on (a system prompt, several turns, tool calls
//! and results, non-ASCII and HTML-special text).

use serde_json::json;

use super::Conversation;

/// `(name, conversation)` pairs, each rendered with and without a generation prompt.
pub fn conversations() -> Vec<(&'static str, Conversation)> {
    let weather_tool = json!({
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "City name"}},
                "required": ["city"]
            }
        }
    });
    let cases = [
        (
            "system",
            json!({"messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "Hello!"}
            ]}),
        ),
        (
            "multi_turn",
            json!({"messages": [
                {"role": "user", "content": "What is 2 + 2?"},
                {"role": "assistant", "content": "4."},
                {"role": "user", "content": "And times 3?"}
            ]}),
        ),
        (
            "tools",
            json!({"messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": "", "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": {"city": "Paris"}}
                }]},
                {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "{\"temp\": 18}"},
                {"role": "assistant", "content": "18 °C in Paris."},
                {"role": "user", "content": "Thanks"}
            ], "tools": [weather_tool]}),
        ),
        (
            "non_ascii",
            json!({"messages": [
                {"role": "system", "content": "Réponds en français <b>&</b> 'brièvement'."},
                {"role": "user", "content": "Ça va ? 日本語 😀\r\nligne 2"}
            ]}),
        ),
    ];
    cases
        .into_iter()
        .map(|(name, value)| {
            let conversation =
                Conversation::from_json(value).expect("built-in conversations are well formed");
            (name, conversation)
        })
        .collect()
}
