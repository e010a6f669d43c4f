"""The formats a decided run is written in: the console table, the JSON gate report, JUnit XML, Allure results and
environment, the SVG pictures, and what a run that decided nothing leaves."""
