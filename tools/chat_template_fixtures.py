#!/usr/bin/env python3
"""Renders the chat-template goldens in tests/fixtures/chat/ with Python jinja2.

Each fixture is one JSON file: a real template string (from a GGUF vocabulary file's
tokenizer.chat_template where ../shared/data/tokenizer has one, otherwise the published
tokenizer_config.json string of that family, written below with its source), the bos/eos token
texts, and conversations with the text jinja2 renders for them. tests/suites/chat_template_test.cpp
checks that gapbench's own formatter (suites/chat_template.cpp) produces the same bytes; CI runs no
Python, so the fixtures are committed.

The environment is the one Hugging Face transformers renders chat templates with
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, raise_exception, a
non-ASCII-keeping tojson), with messages, add_generation_prompt, tools=None, bos_token and
eos_token. No strftime_now is defined, so Llama 3.x templates print their fixed
"26 Jul 2024" date (transformers would print today's date: not reproducible).
Like lm-evaluation-harness (models/huggingface.py apply_chat_template), a template that raises on a
conversation is rendered again without its system messages; the golden records that.

Usage: /work/venv-chat/bin/python tools/chat_template_fixtures.py [--shared ../shared] [--out DIR]
(venv: python3 -m venv /work/venv-chat && /work/venv-chat/bin/pip install -r
tools/requirements-chat.txt)
"""
import argparse
import json
import os
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Templates not carried by a vocabulary file in ../shared/data/tokenizer: the published strings
# (tokenizer_config.json "chat_template" of the named model; llama.cpp's
# tests/test-chat-template.cpp quotes several of them verbatim).
WRITTEN = {
    "chatml": {
        "source": "teknium/OpenHermes-2.5-Mistral-7B tokenizer_config.json (plain ChatML, as "
                  "quoted in llama.cpp tests/test-chat-template.cpp)",
        "bos": "<s>", "eos": "<|im_end|>",
        "template": "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
                    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if "
                    "add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    },
    "smollm2": {
        "source": "HuggingFaceTB/SmolLM2-135M-Instruct tokenizer_config.json (ChatML with the "
                  "SmolLM default system prompt)",
        "bos": "<|im_start|>", "eos": "<|im_end|>",
        "template": "{% for message in messages %}{% if loop.first and messages[0]['role'] != "
                    "'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named "
                    "SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + "
                    "message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
                    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
                    "{% endif %}",
    },
    "qwen2.5": {
        "source": "Qwen/Qwen2.5-0.5B-Instruct tokenizer_config.json (ChatML, tool-calling "
                  "branches, default system prompt)",
        "bos": "", "eos": "<|im_end|>",
        "template": (
            "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if messages[0]['role'] "
            "== 'system' %}\n        {{- messages[0]['content'] }}\n    {%- else %}\n        "
            "{{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n    "
            "{%- endif %}\n    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to "
            "assist with the user query.\\n\\nYou are provided with function signatures within "
            "<tools></tools> XML tags:\\n<tools>\" }}\n    {%- for tool in tools %}\n        "
            "{{- \"\\n\" }}\n        {{- tool | tojson }}\n    {%- endfor %}\n    {{- "
            "\"\\n</tools>\\n\\nFor each function call, return a json object with function name "
            "and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": "
            "<function-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" "
            "}}\n{%- else %}\n    {%- if messages[0]['role'] == 'system' %}\n        {{- "
            "'<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else "
            "%}\n        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are "
            "a helpful assistant.<|im_end|>\\n' }}\n    {%- endif %}\n{%- endif %}\n{%- for "
            "message in messages %}\n    {%- if (message.role == \"user\") or (message.role == "
            "\"system\" and not loop.first) or (message.role == \"assistant\" and not "
            "message.tool_calls) %}\n        {{- '<|im_start|>' + message.role + '\\n' + "
            "message.content + '<|im_end|>' + '\\n' }}\n    {%- elif message.role == "
            "\"assistant\" %}\n        {{- '<|im_start|>' + message.role }}\n        {%- if "
            "message.content %}\n            {{- '\\n' + message.content }}\n        {%- endif "
            "%}\n        {%- for tool_call in message.tool_calls %}\n            {%- if "
            "tool_call.function is defined %}\n                {%- set tool_call = "
            "tool_call.function %}\n            {%- endif %}\n            {{- "
            "'\\n<tool_call>\\n{\"name\": \"' }}\n            {{- tool_call.name }}\n            "
            "{{- '\", \"arguments\": ' }}\n            {{- tool_call.arguments | tojson }}\n     "
            "       {{- '}\\n</tool_call>' }}\n        {%- endfor %}\n        {{- '<|im_end|>\\n' "
            "}}\n    {%- elif message.role == \"tool\" %}\n        {%- if (loop.index0 == 0) or "
            "(messages[loop.index0 - 1].role != \"tool\") %}\n            {{- '<|im_start|>user' "
            "}}\n        {%- endif %}\n        {{- '\\n<tool_response>\\n' }}\n        {{- "
            "message.content }}\n        {{- '\\n</tool_response>' }}\n        {%- if loop.last "
            "or (messages[loop.index0 + 1].role != \"tool\") %}\n            {{- '<|im_end|>\\n' "
            "}}\n        {%- endif %}\n    {%- endif %}\n{%- endfor %}\n{%- if "
            "add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n"),
    },
    "qwen3": {
        "source": "Qwen/Qwen3-0.6B tokenizer_config.json (ChatML with thinking; tool-calling "
                  "branches)",
        "bos": "", "eos": "<|im_end|>",
        "template": (
            "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if messages[0].role == "
            "'system' %}\n        {{- messages[0].content + '\\n\\n' }}\n    {%- endif %}\n    "
            "{{- \"# Tools\\n\\nYou may call one or more functions to assist with the user "
            "query.\\n\\nYou are provided with function signatures within <tools></tools> XML "
            "tags:\\n<tools>\" }}\n    {%- for tool in tools %}\n        {{- \"\\n\" }}\n        "
            "{{- tool | tojson }}\n    {%- endfor %}\n    {{- \"\\n</tools>\\n\\nFor each "
            "function call, return a json object with function name and arguments within "
            "<tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, "
            "\\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n{%- else "
            "%}\n    {%- if messages[0].role == 'system' %}\n        {{- '<|im_start|>system\\n' "
            "+ messages[0].content + '<|im_end|>\\n' }}\n    {%- endif %}\n{%- endif %}\n{%- set "
            "ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}\n{%- "
            "for message in messages[::-1] %}\n    {%- set index = (messages|length - 1) - "
            "loop.index0 %}\n    {%- if ns.multi_step_tool and message.role == \"user\" and "
            "message.content is string and not(message.content.startswith('<tool_response>') and "
            "message.content.endswith('</tool_response>')) %}\n        {%- set ns.multi_step_tool "
            "= false %}\n        {%- set ns.last_query_index = index %}\n    {%- endif %}\n{%- "
            "endfor %}\n{%- for message in messages %}\n    {%- if message.content is string "
            "%}\n        {%- set content = message.content %}\n    {%- else %}\n        {%- set "
            "content = '' %}\n    {%- endif %}\n    {%- if (message.role == \"user\") or "
            "(message.role == \"system\" and not loop.first) %}\n        {{- '<|im_start|>' + "
            "message.role + '\\n' + content + '<|im_end|>' + '\\n' }}\n    {%- elif message.role "
            "== \"assistant\" %}\n        {%- set reasoning_content = '' %}\n        {%- if "
            "message.reasoning_content is string %}\n            {%- set reasoning_content = "
            "message.reasoning_content %}\n        {%- else %}\n            {%- if '</think>' in "
            "content %}\n                {%- set reasoning_content = "
            "content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}\n  "
            "              {%- set content = content.split('</think>')[-1].lstrip('\\n') %}\n    "
            "        {%- endif %}\n        {%- endif %}\n        {%- if loop.index0 > "
            "ns.last_query_index %}\n            {%- if loop.last or (not loop.last and "
            "reasoning_content) %}\n                {{- '<|im_start|>' + message.role + "
            "'\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + "
            "content.lstrip('\\n') }}\n            {%- else %}\n                {{- "
            "'<|im_start|>' + message.role + '\\n' + content }}\n            {%- endif %}\n      "
            "  {%- else %}\n            {{- '<|im_start|>' + message.role + '\\n' + content }}\n "
            "       {%- endif %}\n        {%- if message.tool_calls %}\n            {%- for "
            "tool_call in message.tool_calls %}\n                {%- if (loop.first and content) "
            "or (not loop.first) %}\n                    {{- '\\n' }}\n                {%- endif "
            "%}\n                {%- if tool_call.function %}\n                    {%- set "
            "tool_call = tool_call.function %}\n                {%- endif %}\n                "
            "{{- '<tool_call>\\n{\"name\": \"' }}\n                {{- tool_call.name }}\n        "
            "        {{- '\", \"arguments\": ' }}\n                {%- if tool_call.arguments is "
            "string %}\n                    {{- tool_call.arguments }}\n                {%- else "
            "%}\n                    {{- tool_call.arguments | tojson }}\n                {%- "
            "endif %}\n                {{- '}\\n</tool_call>' }}\n            {%- endfor %}\n    "
            "    {%- endif %}\n        {{- '<|im_end|>\\n' }}\n    {%- elif message.role == "
            "\"tool\" %}\n        {%- if loop.first or (messages[loop.index0 - 1].role != "
            "\"tool\") %}\n            {{- '<|im_start|>user' }}\n        {%- endif %}\n        "
            "{{- '\\n<tool_response>\\n' }}\n        {{- content }}\n        {{- "
            "'\\n</tool_response>' }}\n        {%- if loop.last or (messages[loop.index0 + "
            "1].role != \"tool\") %}\n            {{- '<|im_end|>\\n' }}\n        {%- endif %}\n "
            "   {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- "
            "'<|im_start|>assistant\\n' }}\n    {%- if enable_thinking is defined and "
            "enable_thinking is false %}\n        {{- '<think>\\n\\n</think>\\n\\n' }}\n    {%- "
            "endif %}\n{%- endif %}"),
    },
    "llama3": {
        "source": "meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json",
        "bos": "<|begin_of_text|>", "eos": "<|eot_id|>",
        "template": "{% set loop_messages = messages %}{% for message in loop_messages %}{% set "
                    "content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ "
                    "message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set "
                    "content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if "
                    "add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n'"
                    " }}{% endif %}",
    },
    "llama3.2": {
        "source": "meta-llama/Llama-3.2-1B-Instruct tokenizer_config.json (system block with "
                  "knowledge cut-off and date; tool-calling branches)",
        "bos": "<|begin_of_text|>", "eos": "<|eot_id|>",
        "template": (
            "{{- bos_token }}\n{%- if custom_tools is defined %}\n    {%- set tools = "
            "custom_tools %}\n{%- endif %}\n{%- if not tools_in_user_message is defined %}\n    "
            "{%- set tools_in_user_message = true %}\n{%- endif %}\n{%- if not date_string is "
            "defined %}\n    {%- if strftime_now is defined %}\n        {%- set date_string = "
            "strftime_now(\"%d %b %Y\") %}\n    {%- else %}\n        {%- set date_string = \"26 "
            "Jul 2024\" %}\n    {%- endif %}\n{%- endif %}\n{%- if not tools is defined %}\n    "
            "{%- set tools = none %}\n{%- endif %}\n\n{#- This block extracts the system message, "
            "so we can slot it into the right place. #}\n{%- if messages[0]['role'] == 'system' "
            "%}\n    {%- set system_message = messages[0]['content']|trim %}\n    {%- set messages "
            "= messages[1:] %}\n{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif "
            "%}\n\n{#- System message #}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" "
            "}}\n{%- if tools is not none %}\n    {{- \"Environment: ipython\\n\" }}\n{%- endif "
            "%}\n{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + "
            "date_string + \"\\n\\n\" }}\n{%- if tools is not none and not tools_in_user_message "
            "%}\n    {{- \"You have access to the following functions. To call a function, please "
            "respond with JSON for a function call.\" }}\n    {{- 'Respond in the format "
            "{\"name\": function name, \"parameters\": dictionary of argument name and its "
            "value}.' }}\n    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in tools %}\n "
            "       {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor %}\n"
            "{%- endif %}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}\n\n{#- Custom tools are "
            "passed in a user message with some extra guidance #}\n{%- if tools_in_user_message "
            "and not tools is none %}\n    {#- Extract the first user message so we can plug it "
            "in here #}\n    {%- if messages | length != 0 %}\n        {%- set first_user_message "
            "= messages[0]['content']|trim %}\n        {%- set messages = messages[1:] %}\n    "
            "{%- else %}\n        {{- raise_exception(\"Cannot put tools in the first user "
            "message when there's no first user message!\") }}\n{%- endif %}\n    {{- "
            "'<|start_header_id|>user<|end_header_id|>\\n\\n' -}}\n    {{- \"Given the following "
            "functions, please respond with a JSON for a function call \" }}\n    {{- \"with its "
            "proper arguments that best answers the given prompt.\\n\\n\" }}\n    {{- 'Respond in "
            "the format {\"name\": function name, \"parameters\": dictionary of argument name and "
            "its value}.' }}\n    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in tools "
            "%}\n        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor "
            "%}\n    {{- first_user_message + \"<|eot_id|>\"}}\n{%- endif %}\n\n{%- for message in "
            "messages %}\n    {%- if not (message.role == 'ipython' or message.role == 'tool' or "
            "'tool_calls' in message) %}\n        {{- '<|start_header_id|>' + message['role'] + "
            "'<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n    {%- elif "
            "'tool_calls' in message %}\n        {%- if not message.tool_calls|length == 1 %}\n   "
            "         {{- raise_exception(\"This model only supports single tool-calls at once!\") "
            "}}\n        {%- endif %}\n        {%- set tool_call = message.tool_calls[0].function "
            "%}\n        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n        "
            "{{- '{\"name\": \"' + tool_call.name + '\", ' }}\n        {{- '\"parameters\": ' }}\n"
            "        {{- tool_call.arguments | tojson }}\n        {{- \"}\" }}\n        {{- "
            "\"<|eot_id|>\" }}\n    {%- elif message.role == \"tool\" or message.role == "
            "\"ipython\" %}\n        {{- \"<|start_header_id|>ipython<|end_header_id|>\\n\\n\" "
            "}}\n        {%- if message.content is mapping or message.content is iterable %}\n   "
            "         {{- message.content | tojson }}\n        {%- else %}\n            {{- "
            "message.content }}\n        {%- endif %}\n        {{- \"<|eot_id|>\" }}\n    {%- "
            "endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- "
            "'<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}\n"),
    },
    "gemma2": {
        "source": "google/gemma-2-2b-it tokenizer_config.json (no system role: raises)",
        "bos": "<bos>", "eos": "<eos>",
        "template": "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception("
                    "'System role not supported') }}{% endif %}{% for message in messages %}{% if "
                    "(message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception("
                    "'Conversation roles must alternate user/assistant/user/assistant/...') }}{% "
                    "endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% "
                    "else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role "
                    "+ '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if "
                    "add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}",
    },
    "gemma3": {
        "source": "google/gemma-3-1b-it tokenizer_config.json (system text prefixed to the first "
                  "user turn)",
        "bos": "<bos>", "eos": "<eos>",
        "template": (
            "{{ bos_token }}\n{%- if messages[0]['role'] == 'system' -%}\n    {%- if "
            "messages[0]['content'] is string -%}\n        {%- set first_user_prefix = "
            "messages[0]['content'] + '\n\n' -%}\n    {%- else -%}\n        {%- set "
            "first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}\n    {%- endif "
            "-%}\n    {%- set loop_messages = messages[1:] -%}\n{%- else -%}\n    {%- set "
            "first_user_prefix = \"\" -%}\n    {%- set loop_messages = messages -%}\n{%- endif "
            "-%}\n{%- for message in loop_messages -%}\n    {%- if (message['role'] == 'user') "
            "!= (loop.index0 % 2 == 0) -%}\n        {{ raise_exception(\"Conversation roles must "
            "alternate user/assistant/user/assistant/...\") }}\n    {%- endif -%}\n    {%- if "
            "(message['role'] == 'assistant') -%}\n        {%- set role = \"model\" -%}\n    {%- "
            "else -%}\n        {%- set role = message['role'] -%}\n    {%- endif -%}\n    {{ "
            "'<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else \"\") }}\n  "
            "  {%- if message['content'] is string -%}\n        {{ message['content'] | trim }}\n "
            "   {%- elif message['content'] is iterable -%}\n        {%- for item in "
            "message['content'] -%}\n            {%- if item['type'] == 'image' -%}\n            "
            "    {{ '<start_of_image>' }}\n            {%- elif item['type'] == 'text' -%}\n     "
            "           {{ item['text'] | trim }}\n            {%- endif -%}\n        {%- endfor "
            "-%}\n    {%- else -%}\n        {{ raise_exception(\"Invalid content type\") }}\n    "
            "{%- endif -%}\n    {{ '<end_of_turn>\n' }}\n{%- endfor -%}\n{%- if "
            "add_generation_prompt -%}\n    {{'<start_of_turn>model\n'}}\n{%- endif -%}\n"),
    },
    "phi3.5": {
        "source": "microsoft/Phi-3.5-mini-instruct tokenizer_config.json (system turn when "
                  "non-empty)",
        "bos": "<s>", "eos": "<|endoftext|>",
        "template": "{% for message in messages %}{% if message['role'] == 'system' and "
                    "message['content'] %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}"
                    "{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + "
                    "'<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + "
                    "message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if "
                    "add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}"
                    "{% endif %}",
    },
    "phi3-small": {
        "source": "microsoft/Phi-3-small-8k-instruct tokenizer_config.json (as quoted in "
                  "llama.cpp tests/test-chat-template.cpp)",
        "bos": "<|endoftext|>", "eos": "<|endoftext|>",
        "template": "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + "
                    "'|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if "
                    "add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}"
                    "{% endif %}",
    },
    "mistral-v0.2": {
        "source": "mistralai/Mistral-7B-Instruct-v0.2 tokenizer_config.json (as quoted in "
                  "llama.cpp tests/test-chat-template.cpp; no system role)",
        "bos": "<s>", "eos": "</s>",
        "template": "{{ bos_token }}{% for message in messages %}{% if (message['role'] == "
                    "'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles "
                    "must alternate user/assistant/user/assistant/...') }}{% endif %}{% if "
                    "message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
                    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
                    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') "
                    "}}{% endif %}{% endfor %}",
    },
}

# Templates read from the vocabulary files (fixture name -> file under data/tokenizer).
FROM_VOCAB = {
    "qwen2": "ggml-vocab-qwen2.gguf",
    "phi3": "ggml-vocab-phi-3.gguf",
}

SYSTEM = "You are a careful grade-school maths tutor."
Q1 = "Question: Natalia sold clips to 48 of her friends in April. How many?\nAnswer:"
A1 = "She sold 48 clips. #### 48"
Q2 = "Question: Weng earns $12 an hour. How much for 50 minutes?\nAnswer:"
A2 = "Weng earns 12/60 = $0.2 per minute. #### 10"
Q3 = "Question: Betty needs $100. How much more?\nAnswer:"

# (name, messages, add_generation_prompt): the shapes gapbench sends (one user turn with the
# few-shot block, lm-eval's --fewshot_as_multiturn, a system prompt or none) and the edges a
# formatter gets wrong (surrounding whitespace, an empty system turn, a final assistant turn).
CONVERSATIONS = [
    ("user_only", [("user", Q1)], True),
    ("system_user", [("system", SYSTEM), ("user", Q1)], True),
    ("fewshot_single_turn", [("user", Q1 + " " + A1 + "\n\n" + Q2 + " " + A2 + "\n\n" + Q3)],
     True),
    ("fewshot_multiturn", [("user", Q1), ("assistant", A1), ("user", Q2), ("assistant", A2),
                           ("user", Q3)], True),
    ("system_multiturn", [("system", SYSTEM), ("user", Q1), ("assistant", A1), ("user", Q3)],
     True),
    ("whitespace", [("system", "  \n" + SYSTEM + "\n "), ("user", "\n  " + Q1 + "  \n"),
                    ("assistant", " " + A1 + "\n"), ("user", "\t" + Q3 + " ")], True),
    ("empty_system", [("system", ""), ("user", Q1)], True),
    ("no_generation_prompt", [("user", Q1), ("assistant", A1)], False),
    ("unicode", [("user", "Question: Zoë a 3 pommes — combien?\u00a0\nAnswer:")], True),
]


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def render(env, template, messages, add_generation_prompt, bos, eos):
    """(text, dropped_system): lm-eval's apply_chat_template, including its retry."""
    compiled = env.from_string(template)
    msgs = [{"role": r, "content": c} for r, c in messages]
    kwargs = dict(add_generation_prompt=add_generation_prompt, tools=None, documents=None,
                  bos_token=bos, eos_token=eos)
    try:
        return compiled.render(messages=msgs, **kwargs), False
    except jinja2.exceptions.TemplateError:
        msgs = [m for m in msgs if m["role"] != "system"]
        return compiled.render(messages=msgs, **kwargs), True


def vocab_template(path):
    import gguf  # only needed for the vocabulary-file templates
    reader = gguf.GGUFReader(path)

    def text(key):
        field = reader.fields.get(key)
        return None if field is None else bytes(field.parts[field.data[0]]).decode("utf-8")

    def token(key):
        field = reader.fields.get(key)
        if field is None:
            return ""
        tokens = reader.fields["tokenizer.ggml.tokens"]
        idx = int(field.parts[field.data[0]][0])
        return bytes(tokens.parts[tokens.data[idx]]).decode("utf-8")

    return text("tokenizer.chat_template"), token("tokenizer.ggml.bos_token_id"), token(
        "tokenizer.ggml.eos_token_id")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "shared"))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "chat"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    specs = dict(WRITTEN)
    for name, file in FROM_VOCAB.items():
        path = os.path.join(args.shared, "data", "tokenizer", file)
        if not os.path.exists(path):
            sys.exit(f"{path}: not found (pass --shared)")
        template, bos, eos = vocab_template(path)
        specs[name] = {"source": f"../shared/data/tokenizer/{file} tokenizer.chat_template",
                       "bos": bos, "eos": eos, "template": template}
    env = make_env()
    for name, spec in sorted(specs.items()):
        cases = []
        for case, messages, gen in CONVERSATIONS:
            text, dropped = render(env, spec["template"], messages, gen, spec["bos"], spec["eos"])
            cases.append({"name": case,
                          "messages": [{"role": r, "content": c} for r, c in messages],
                          "add_generation_prompt": gen, "system_dropped": dropped,
                          "expected": text})
        doc = {"name": name, "source": spec["source"], "jinja2": jinja2.__version__,
               "bos_token": spec["bos"], "eos_token": spec["eos"],
               "template": spec["template"], "cases": cases}
        out = os.path.join(args.out, name + ".json")
        with open(out, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(f"{out}: {len(cases)} conversations")


if __name__ == "__main__":
    main()
