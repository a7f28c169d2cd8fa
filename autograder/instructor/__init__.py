"""The instructor's workflow, one module per step, under the `gpt-course` command line (`cli`):

- `build`: the student and solution notebooks from the source notebooks; `glossary`: their glossary tables;
- `exchange` and `lms_zip`: hand assignments out and take submissions in (`inbound`: a submission read out of the
  exchange as plain files; `student_ids`: the one rule for a student id; `collect_problems`: what collecting found,
  for the class report);
- `autograde`: grade a class, one outcome per student; `nbgrader_process` runs nbgrader as a child process with
  limits (through `nbgrader_main`, nbgrader's command line at less start-up cost);
- `parallel_execution`: the same on Dask, each student a task (`grading_task`) on a cluster (`dask_cluster`) of
  vetted workers (`worker_vetting`);
- `course_layout`: where the course's folders are, as nbgrader computes them, and scratch courses;
  `gradebook`: the course's gradebook (SQLite or PostgreSQL), every read and write of it;
- `feedback`: the students' feedback pages; `review`: one submission run in the grading sandbox for the instructor
  to read; `report`: grades as CSV and the class report; `selfgrade`: a
  learner's own grading; `book`: the executed solutions as a static website for self-study (`./course.sh book`);
- `formgrader_escaping`: nbgrader's formgrader in the instructor's JupyterLab, with its pages escaped;
- `errors`: the one-line errors the command line reports.
"""
