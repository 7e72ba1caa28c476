<?php
/*
 * Runs cases through the real Laravel validator (Debian's php-laravel-framework),
 * for tests/unit/template/test_laravel_differential.py.
 *
 * stdin:  {"validate": [{"body": "<raw JSON>", "data": null,
 *                        "rules": {"key": ["rule", ...]}}, ...],
 *          "csv": ["text", ...]}
 * stdout: {"laravel": "8.83.26",
 *          "validate": [{"passes": true, "failed": {"key": ["In", ...]}, "warnings": []}],
 *          "csv": [["field", null, ...], ...]}
 *
 * The body is decoded here with json_decode, as a Laravel app decodes an answer (a body
 * that is not JSON validates as no data); "data" is used instead when "body" is empty.
 * Rules are given as lists, so a pattern may contain '|'. A PHP warning (an invalid
 * pattern, an array converted to a string) is reported with its case, never printed.
 */

declare(strict_types=0);

set_include_path(get_include_path() . PATH_SEPARATOR . '/usr/share/php');
require_once 'Illuminate/Validation/autoload.php';
require_once 'Illuminate/Translation/autoload.php';

use Illuminate\Translation\ArrayLoader;
use Illuminate\Translation\Translator;
use Illuminate\Validation\Factory;

$warnings = [];
set_error_handler(function (int $level, string $message) use (&$warnings): bool {
    $warnings[] = $message;
    return true;
});

$input = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$factory = new Factory(new Translator(new ArrayLoader(), 'en'));

$validated = [];
foreach ($input['validate'] ?? [] as $case) {
    $warnings = [];
    $data = $case['body'] !== '' ? json_decode($case['body'], true) : $case['data'];
    $data = is_array($data) ? $data : [];
    $validator = $factory->make($data, $case['rules']);
    $passes = $validator->passes();
    $failed = [];
    foreach ($validator->failed() as $attribute => $rules) {
        $failed[$attribute] = array_keys($rules);
    }
    $validated[] = ['passes' => $passes, 'failed' => (object) $failed, 'warnings' => $warnings];
}

$split = [];
foreach ($input['csv'] ?? [] as $text) {
    $split[] = str_getcsv($text);
}

$application = stream_resolve_include_path('Illuminate/Foundation/Application.php');
$version = $application !== false
    && preg_match("/const VERSION = '([^']+)'/", file_get_contents($application), $found)
    ? $found[1] : 'unknown';
echo json_encode(
    ['laravel' => $version, 'validate' => $validated, 'csv' => $split],
    JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE
), "\n";
